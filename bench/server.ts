import type { Readable } from 'node:stream'
import { Miniflare, type WorkerOptions } from 'miniflare'
import { D1_PERSIST } from './config'
import { benchSecrets, bundleWorker, wranglerWorkerOptions } from './wrangler-options'

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

export async function startBenchServer(
  scriptPath: string,
  opts: { inspectorPort?: number } = {},
): Promise<BenchServer> {
  const fromWrangler = wranglerWorkerOptions()
  const secrets = benchSecrets()
  const worker = (name: BenchTarget, cache: boolean, isolateCache: boolean): WorkerOptions => ({
    ...bundleWorker(scriptPath, {
      name,
      pages: true,
      bindings: {
        ...secrets,
        ...(isolateCache ? {} : { ISOLATE_CACHE: 'off' }),
        ...(cache ? {} : { EDGE_CACHE: 'off' }),
      },
    }),
    // A queue has one consumer: the `uncached` instance runs the settlement consumer.
    queueConsumers: name === 'uncached' ? fromWrangler.queueConsumers : undefined,
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
    // CPU profiles of an instance's isolate (bench/cold-profile.ts); off by default.
    ...(opts.inspectorPort ? { inspectorPort: opts.inspectorPort } : {}),
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
