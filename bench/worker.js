// The Worker `npm run bench` runs: the production Worker, unchanged, behind withD1Stats, which
// acts only when the var BENCH is "1" and a request asks for its D1 cost, plus bench-only seeding
// routes (bench/bench-routes.ts) that exist in this bundle only, and a header that turns the
// cache layers off for one request (bench/caches-off.ts). Plain JS: wrangler bundles it;
// the types live in src/lib/d1-stats.ts.
import worker from '../src/index'
import { benchEnabled, withD1Stats } from '../src/lib/d1-stats'
import { benchRoute } from './bench-routes'
import { envForBenchRequest } from './caches-off'

export * from '../src/index'

const counted = withD1Stats(worker)

export default {
  ...counted,
  async fetch(request, env, ctx) {
    if (benchEnabled(env)) {
      const answer = await benchRoute(request, env)
      if (answer) return answer
      return counted.fetch(request, envForBenchRequest(request, env), ctx)
    }
    return counted.fetch(request, env, ctx)
  },
}
