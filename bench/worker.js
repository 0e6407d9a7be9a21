// The Worker `npm run bench` runs: the production Worker, unchanged, behind withD1Stats, which
// acts only when the var BENCH is "1" and a request asks for its D1 cost, plus bench-only seeding
// routes (bench/bench-routes.ts) that exist in this bundle only, and a header that turns the
// cache layers off for one request (below). Plain JS: wrangler bundles it;
// the types live in src/lib/d1-stats.ts.
import worker from '../src/index'
import { benchEnabled, withD1Stats } from '../src/lib/d1-stats'
import { benchRoute } from './bench-routes'

export * from '../src/index'

const counted = withD1Stats(worker)

/**
 * `x-bench-caches: off`: the request runs as it would on an instance with both cache layers off
 * (ISOLATE_CACHE and EDGE_CACHE "off": the D1 path), in the same isolate as the cached requests
 * around it. A cache miss timed against the D1 path in one isolate shares its heap, its JIT state
 * and its garbage collector, so the difference is only what the miss does (bench/scenarios/catalog.ts).
 * The env copy is made once per env object.
 */
const CACHES_OFF_HEADER = 'x-bench-caches'
const cachesOff = new WeakMap()
function withCachesOff(env) {
  let off = cachesOff.get(env)
  if (!off) {
    off = { ...env, ISOLATE_CACHE: 'off', EDGE_CACHE: 'off' }
    cachesOff.set(env, off)
  }
  return off
}

export default {
  ...counted,
  async fetch(request, env, ctx) {
    if (benchEnabled(env)) {
      const answer = await benchRoute(request, env)
      if (answer) return answer
      if (request.headers.get(CACHES_OFF_HEADER) === 'off') {
        return counted.fetch(request, withCachesOff(env), ctx)
      }
    }
    return counted.fetch(request, env, ctx)
  },
}
