import { registerHomeRail } from '../catalog/home'
import { chinaDate } from './dates'
import { toBillView, type BillDisplayRow } from './lookup'

export const BILLS_RAIL_ITEMS = 10

/**
 * `/v1/home` on a paired TV: the household's bills still owed, soonest due first (overdue ones
 * lead). Personal, so the catalog does not share-cache a home that shows it. The statement runs in
 * the home's single batch; the time is selected into the rows so toItems can flag overdue bills.
 */
registerHomeRail({
  id: 'bills-unpaid',
  title: '待缴账单',
  kind: 'bills',
  position: 5,
  personal: true,
  query(env, principal, now) {
    if (principal?.kind !== 'device') return null
    return env.DB.prepare(
      `SELECT b.*, a.nickname, r.name AS biller_name, r.category AS biller_category, ? AS now_ms
       FROM biller_accounts a
       JOIN bills b ON b.biller_id = a.biller_id AND b.account_number = a.account_number
       JOIN billers r ON r.id = b.biller_id
       WHERE a.user_id = ? AND b.status IN ('unpaid', 'partially_paid')
       ORDER BY b.due_date, b.id LIMIT ?`,
    ).bind(now, principal.userId, BILLS_RAIL_ITEMS)
  },
  toItems: (rows: Array<BillDisplayRow & { now_ms: number }>) =>
    rows.map((row) => toBillView(row, row.now_ms)),
})

