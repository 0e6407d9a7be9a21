import type { Sql } from '../catalog/product-rows'

/** A deal as stored: what the admin route validated, in the table's units (fen, epoch ms). */
export type DealRowInput = {
  productId: string
  mode: 'group' | 'team'
  dealPrice: number
  startsAt: number
  endsAt: number
  minGroupSize: number
  stock: number
  maxPerUser: number
  teamSize: number | null
  teamWindowMs: number | null
}

/**
 * The INSERT `POST /v1/admin/deals` runs, as plain SQL (the demo seeder writes the same).
 * list_price is the product's price, read by a subquery of the INSERT itself: a concurrent price
 * change cannot slip a deal price above it (CHECK deals_prices), and an unknown product fails
 * NOT NULL.
 */
export function dealInsertSql(input: DealRowInput, opts: { id: string; now: number }): Sql {
  return {
    sql: `INSERT INTO deals (id, product_id, mode, deal_price, list_price, starts_at, ends_at,
            min_group_size, stock, max_per_user, team_size, team_window_ms, created_at, updated_at)
          VALUES (?, ?, ?, ?, (SELECT price FROM products WHERE id = ?), ?, ?,
            ?, ?, ?, ?, ?, ?, ?)`,
    params: [
      opts.id,
      input.productId,
      input.mode,
      input.dealPrice,
      input.productId,
      input.startsAt,
      input.endsAt,
      input.minGroupSize,
      input.stock,
      input.maxPerUser,
      input.teamSize,
      input.teamWindowMs,
      opts.now,
      opts.now,
    ],
  }
}
