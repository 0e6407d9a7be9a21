import { benchEnabled } from '../src/lib/d1-stats'

/**
 * `x-bench-caches: off` on a request to a BENCH=1 Worker (the bench bundle, bench/worker.js): the
 * request runs as it would on an instance with both cache layers off (ISOLATE_CACHE and
 * EDGE_CACHE "off": the D1 path, `X-Cache: BYPASS`), in the same isolate as the cached requests
 * around it. A cache miss timed against the D1 path in one isolate shares its heap, its JIT state
 * and its garbage collector, so the difference is what the miss does and nothing else
 * (bench/scenarios/catalog.ts). Without BENCH=1 the header means nothing.
 */
export const CACHES_OFF_HEADER = 'x-bench-caches'

const offEnvs = new WeakMap<object, Env>()

/** `env`, or, when the request asks for it on a BENCH=1 Worker, `env` with both layers off. */
export function envForBenchRequest(request: Request, env: Env): Env {
  if (!benchEnabled(env) || request.headers.get(CACHES_OFF_HEADER) !== 'off') return env
  let off = offEnvs.get(env)
  if (!off) {
    // Made once per env object: the D1-path side pays no copy a request.
    off = { ...env, ISOLATE_CACHE: 'off', EDGE_CACHE: 'off' } as Env
    offEnvs.set(env, off)
  }
  return off
}
