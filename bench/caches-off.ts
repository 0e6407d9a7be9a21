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

const offEnvs = new WeakMap<object, Map<string, Env>>()

/** `env`, or, when the request asks for it on a BENCH=1 Worker, `env` with both layers off. */
export function envForBenchRequest(request: Request, env: Env): Env {
  if (!benchEnabled(env)) return env
  const asked = request.headers.get(CACHES_OFF_HEADER)
  const vars = asked ? VARIANTS[asked] : undefined
  if (!vars) return env
  let byVariant = offEnvs.get(env)
  if (!byVariant) {
    byVariant = new Map()
    offEnvs.set(env, byVariant)
  }
  let off = byVariant.get(asked!)
  if (!off) {
    // Made once per env object: the D1-path side pays no copy a request.
    off = { ...env, ...vars } as Env
    byVariant.set(asked!, off)
  }
  return off
}

// EXPERIMENT (to be removed): `keep-all` keeps every page read (no admission rule), `no-probe`
// never probes the edge.
const VARIANTS: Record<string, Record<string, string>> = {
  off: { ISOLATE_CACHE: 'off', EDGE_CACHE: 'off' },
  'keep-all': { CACHE_ADMISSION: 'off' },
  'no-probe': { EDGE_PROBE: 'off' },
}
