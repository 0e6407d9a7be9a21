import { generateKeyPairSync, randomBytes } from 'node:crypto'
import path from 'node:path'
import type { WorkerOptions } from 'miniflare'
import { unstable_getMiniflareWorkerOptions } from 'wrangler'
import { WRANGLER_CONFIG } from './config'

/** wrangler.toml as Miniflare options: the same bindings, compatibility date and flags as dev. */
export function wranglerWorkerOptions() {
  return unstable_getMiniflareWorkerOptions(WRANGLER_CONFIG).workerOptions
}

/** The id wrangler uses for the local D1 (its `--local` state is keyed by it). */
export function d1DatabaseId(): string {
  const db = wranglerWorkerOptions().d1Databases as Record<string, string | { id: string }>
  const binding = db?.DB
  const id = typeof binding === 'string' ? binding : binding?.id
  if (!id) throw new Error('wrangler.toml has no D1 binding named DB')
  return id
}

/** The deploy bundle's modules: its JS, and the Wasm (argon2id) it imports as wrangler ships it. */
export const BUNDLE_MODULE_RULES = [
  { type: 'ESModule' as const, include: ['**/*.js'] },
  { type: 'CompiledWasm' as const, include: ['**/*.wasm'] },
]

/**
 * Fresh secrets for a bench Worker: an ES256 key the bench also signs tokens with (JWT_KEYS and
 * wrangler.toml's JWT_ISSUER are what signAccessToken needs), an admin token and a PIN pepper.
 */
export function benchSecrets() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' }
  const vars = wranglerWorkerOptions().bindings as Record<string, string>
  return {
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    JWT_KEYS: JSON.stringify({ keys: [jwk] }),
    JWT_ISSUER: vars.JWT_ISSUER!,
    PIN_PEPPER: randomBytes(32).toString('base64url'),
  }
}

/**
 * The deploy bundle as one Miniflare worker named `name`, with wrangler.toml's bindings, these
 * bindings on top and BENCH=1. The pages (assets) are left out unless `pages` is set: most
 * benches never ask for them, and they need not be built.
 */
export function bundleWorker(
  scriptPath: string,
  opts: { name: string; bindings: Record<string, string>; pages?: boolean },
): WorkerOptions {
  const { assets, ...fromWrangler } = wranglerWorkerOptions() as WorkerOptions
  return {
    ...fromWrangler,
    ...(opts.pages ? { assets } : {}),
    name: opts.name,
    modules: true,
    modulesRules: BUNDLE_MODULE_RULES,
    scriptPath,
    modulesRoot: path.dirname(scriptPath),
    bindings: { ...fromWrangler.bindings, ...opts.bindings, BENCH: '1' },
  } as WorkerOptions
}
