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
