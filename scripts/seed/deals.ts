// Demo group-buy deals on a few seeded products: live group deals ending at different times (TV
// countdowns), one upcoming and one Pinduoduo team deal. Written with the admin route's INSERT.
import { dealInsertSql, type DealRowInput } from '../../src/deals/deal-rows'
import { seedProduct } from './catalog'
import { seededId } from './ids'
import type { SeedModule } from './modules'
import type { Sql } from './sql'

const HOUR = 3600_000
const DAY = 24 * HOUR

type DemoDeal = {
  /** Index of the seeded product the deal sells. */
  product: number
  /** Deal price as a share of the list price. */
  discount: number
  startsIn: number
  lasts: number
  minGroupSize: number
  stock: number
  maxPerUser: number
  team?: { size: number; windowMs: number }
}

function limits(minGroupSize: number, stock: number, maxPerUser: number) {
  return { minGroupSize, stock, maxPerUser }
}

const DEMO_DEALS: DemoDeal[] = [
  { product: 3, discount: 0.75, startsIn: -HOUR, lasts: 3 * DAY, ...limits(5, 200, 2) },
  { product: 17, discount: 0.8, startsIn: -HOUR, lasts: 7 * DAY, ...limits(20, 500, 3) },
  { product: 42, discount: 0.6, startsIn: -HOUR, lasts: 30 * DAY, ...limits(3, 50, 1) },
  { product: 101, discount: 0.85, startsIn: DAY, lasts: 7 * DAY, ...limits(10, 300, 5) },
  {
    product: 250,
    discount: 0.7,
    startsIn: -HOUR,
    lasts: 14 * DAY,
    minGroupSize: 2,
    stock: 400,
    maxPerUser: 2,
    team: { size: 2, windowMs: DAY },
  },
]

/** A deal price below the list price, in whole yuan. */
function dealPrice(listPrice: number, discount: number): number {
  const price = Math.floor((listPrice * discount) / 100) * 100
  return Math.min(Math.max(price, 1), listPrice - 1)
}

export const dealsSeed: SeedModule = {
  name: 'deals',
  sources: ['src/deals/deal-rows.ts'],
  *units({ seed, products, now }) {
    for (const [k, demo] of DEMO_DEALS.entries()) {
      if (demo.product >= products) continue
      const product = seedProduct(demo.product, seed)
      if (product.priceFen < 2) continue
      const input: DealRowInput = {
        productId: seededId('product', demo.product, seed),
        mode: demo.team ? 'team' : 'group',
        dealPrice: dealPrice(product.priceFen, demo.discount),
        startsAt: now + demo.startsIn,
        endsAt: now + demo.startsIn + demo.lasts,
        minGroupSize: demo.team ? demo.team.size : demo.minGroupSize,
        stock: demo.stock,
        maxPerUser: demo.maxPerUser,
        teamSize: demo.team?.size ?? null,
        teamWindowMs: demo.team?.windowMs ?? null,
      }
      const insert = dealInsertSql(input, { id: seededId('deal', k, seed), now })
      // Re-seeding never resets a deal people have joined: an existing deal keeps its rows.
      const upsert: Sql = { ...insert, sql: `${insert.sql} ON CONFLICT (id) DO NOTHING` }
      yield [upsert]
    }
    yield [{ sql: 'UPDATE catalog_state SET version = version + 1 WHERE id = 1', params: [] }]
  },
}
