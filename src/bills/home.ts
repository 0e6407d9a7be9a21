import type { HomeRail } from '../catalog/home'
import { COLUMNS, toBillView, VISIBLE, type BillDisplayRow } from './lookup'

export const BILLS_RAIL_ITEMS = 10

/**
 * `/v1/home` on a paired TV: the household's bills still owed, soonest due first (overdue ones
 * lead). Personal, so the catalog does not share-cache a home that shows it. The statement runs in
 * the home's single batch; the time is selected into the rows so toItems can flag overdue bills.
 */
export const billsRail: HomeRail = {
  id: 'bills-unpaid',
  title: '待缴账单',
  kind: 'bills',
  position: 5,
  personal: true,
  query(env, principal, now) {
    if (principal?.kind !== 'device') return null
    return env.DB.prepare(
      `SELECT ${COLUMNS}, ? AS now_ms ${VISIBLE}
       WHERE a.user_id = ? AND b.status IN ('unpaid', 'partially_paid')
       ORDER BY b.due_date, b.id LIMIT ?`,
    ).bind(now, principal.userId, BILLS_RAIL_ITEMS)
  },
  toItems: (rows: Array<BillDisplayRow & { now_ms: number }>) =>
    rows.map((row) => toBillView(row, row.now_ms)),
}
