import { generateKeyPairSync, randomBytes } from 'node:crypto'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { Miniflare, type WorkerOptions } from 'miniflare'
import { D1_PERSIST } from './config'
import { BUNDLE_MODULE_RULES, wranglerWorkerOptions } from './wrangler-options'

/**
 * Three instances of the same bundle on the same D1, each reached on its own socket (no Miniflare
 * entry worker in between):
 * - `cached`: the Worker as deployed, both cache layers on (isolate memory, then the Cache API);
 * - `edge`: the isolate cache off (`ISOLATE_CACHE=off`), so a repeated read is a Cache API hit,
 *   as in a fresh isolate;
 * - `uncached`: both off (`EDGE_CACHE=off` too, and Miniflare's no-op cache), so every read is
 *   the D1 path alone: no cache lookup or copy, what a cache miss is held to.
 */
export const BENCH_TARGETS = ['cached', 'edge', 'uncached'] as const
export type BenchTarget = (typeof BENCH_TARGETS)[number]

export type BenchServer = {
  url: Record<BenchTarget, URL>
  adminToken: string
  /** Last lines the runtime wrote to stderr, for error reports. */
  stderrTail(): string
  dispose(): Promise<void>
}

function benchSecrets() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' }
  return {
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    JWT_KEYS: JSON.stringify({ keys: [jwk] }),
    PIN_PEPPER: randomBytes(32).toString('base64url'),
  }
}

export async function startBenchServer(scriptPath: string): Promise<BenchServer> {
  const fromWrangler = wranglerWorkerOptions()
  const secrets = benchSecrets()
  const worker = (name: BenchTarget, cache: boolean, isolateCache: boolean): WorkerOptions => ({
    ...(fromWrangler as WorkerOptions),
    // A queue has one consumer: the `uncached` instance runs the settlement consumer.
    queueConsumers: name === 'uncached' ? fromWrangler.queueConsumers : undefined,
    name,
    modules: true,
    modulesRules: BUNDLE_MODULE_RULES,
    scriptPath,
    modulesRoot: path.dirname(scriptPath),
    bindings: {
      ...fromWrangler.bindings,
      ...secrets,
      BENCH: '1',
      ...(isolateCache ? {} : { ISOLATE_CACHE: 'off' }),
      ...(cache ? {} : { EDGE_CACHE: 'off' }),
    },
    cache,
    unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
  })
  let stderr = ''
  const mf = new Miniflare({
    workers: [
      worker('cached', true, true),
      worker('edge', true, false),
      worker('uncached', false, false),
    ],
    d1Persist: D1_PERSIST,
    cf: false,
    // Access logs go nowhere (the Worker still writes them, as in production); errors are kept.
    handleRuntimeStdio(stdout: Readable, err: Readable) {
      stdout.resume()
      err.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000)
      })
    },
  })
  await mf.ready
  return {
    url: {
      cached: await mf.unsafeGetDirectURL('cached'),
      edge: await mf.unsafeGetDirectURL('edge'),
      uncached: await mf.unsafeGetDirectURL('uncached'),
    },
    adminToken: secrets.ADMIN_TOKEN,
    stderrTail: () => stderr,
    dispose: () => mf.dispose(),
  }
}
