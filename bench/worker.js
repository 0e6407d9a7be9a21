// The Worker `npm run bench` runs: the production Worker, unchanged, behind withD1Stats, which
// acts only when the var BENCH is "1" and a request asks for its D1 cost. Plain JS: wrangler
// bundles it; the types live in src/lib/d1-stats.ts.
import worker from '../src/index'
import { withD1Stats } from '../src/lib/d1-stats'

export * from '../src/index'
export default withD1Stats(worker)
