import type { HomeRail, ProductExtra } from '../catalog/home'
import { DEAL_COLUMNS, toDealView, type DealWithProduct } from './store'

/** How many deals the TV home rail shows: those ending soonest first, for the countdowns. */
export const DEALS_RAIL_ITEMS = 10

const JOINABLE = `d.phase = 'open' AND d.ends_at > ? AND d.starts_at <= ?`

export const dealsRail: HomeRail = {
  id: 'deals',
  title: '限时拼团',
  kind: 'deals',
  position: 5,
  query: (env, _principal, now) =>
    env.DB.prepare(
      `SELECT ${DEAL_COLUMNS} FROM deals d JOIN products p ON p.id = d.product_id
       WHERE ${JOINABLE} ORDER BY d.ends_at, d.id LIMIT ?`,
    ).bind(now, now, DEALS_RAIL_ITEMS),
  toItems: (rows: DealWithProduct[]) => rows.map((row) => toDealView(row, Date.now())),
}

/** The deal running on a product now (the one ending soonest if several overlap). */
export const activeDealExtra: ProductExtra = {
  field: 'active_deal',
  query: (env, productId, now) =>
    env.DB.prepare(
      `SELECT ${DEAL_COLUMNS} FROM deals d JOIN products p ON p.id = d.product_id
       WHERE d.product_id = ? AND ${JOINABLE} ORDER BY d.ends_at LIMIT 1`,
    ).bind(productId, now, now),
  toValue: (rows: DealWithProduct[]) => (rows[0] ? toDealView(rows[0], Date.now()) : null),
}
