import type { RowOf } from '../db/rows'
import type { bills } from '../db/schema/bills'
import { z } from '@hono/zod-openapi'
import { ApiError } from '../http/errors'
import { money } from '../lib/money'
import { keyset, keysetClause, keysetPage } from '../lib/pagination'
import { isOverdue } from './dates'
import { maskAccountNumber } from './pattern'
import type { BillerRow } from './billers'
import type { BillSchema } from './schemas'

export type BillView = z.infer<typeof BillSchema>

export type BillRow = RowOf<typeof bills>

export type BillDisplayRow = BillRow & {
  nickname: string | null
  biller_name: string
  biller_category: BillerRow['category']
}

export type VisibleBillRow = BillDisplayRow &
  Pick<BillerRow, 'amount_rule' | 'min_amount' | 'max_amount' | 'payable_after_due'>

export function toBillView(row: BillDisplayRow, now: number): BillView {
  return {
    id: row.id,
    biller: { id: row.biller_id, name: row.biller_name, category: row.biller_category },
    account_number_masked: maskAccountNumber(row.account_number),
    nickname: row.nickname,
    bill_ref: row.bill_ref,
    period: row.period,
    amount_due: money(row.amount_due),
    amount_paid: money(row.amount_paid),
    amount_remaining: money(Math.max(0, row.amount_due - row.amount_paid)),
    due_date: row.due_date,
    status: row.status,
    overdue: isOverdue(row.due_date, row.status, now),
  }
}

/** Bills a person sees: those of the account numbers they linked (so their household's). */
export const VISIBLE = `FROM biller_accounts a
  JOIN bills b ON b.biller_id = a.biller_id AND b.account_number = a.account_number
  JOIN billers r ON r.id = b.biller_id`

/** The bill, the person's nickname for its account, and the biller's name and payment rules. */
export const COLUMNS = `b.*, a.nickname, r.name AS biller_name, r.category AS biller_category,
  r.amount_rule, r.min_amount, r.max_amount, r.payable_after_due`

/** A bill the person may see, or 404 (never 403: another household's bill ids are not confirmed). */
export async function findVisibleBill(
  d1: D1Database,
  userId: string,
  billId: string,
): Promise<VisibleBillRow> {
  const row = await d1
    .prepare(`SELECT ${COLUMNS} ${VISIBLE} WHERE b.id = ? AND a.user_id = ?`)
    .bind(billId, userId)
    .first<VisibleBillRow>()
  if (!row) throw new ApiError('not_found', 'No such bill')
  return row
}

function byDue(dir: 'ASC' | 'DESC') {
  return keyset({
    columns: ['b.due_date', 'b.id'],
    dir,
    cursor: z.object({ due: z.string(), id: z.string() }),
    cursorOf: (row: VisibleBillRow) => ({ due: row.due_date, id: row.id }),
    valuesOf: (c) => [c.due, c.id],
  })
}
const soonestDue = byDue('ASC')
const latestDue = byDue('DESC')

/**
 * Unpaid (including partially paid) bills soonest due first; paid bills latest due first; without
 * a filter, everything soonest due first. Keyset over (due_date, id). The plan walks the person's
 * linked accounts and, for each, bills_account_due_idx; the sort is over that person's bills only.
 */
export async function listMyBills(
  d1: D1Database,
  userId: string,
  query: { status?: 'unpaid' | 'paid'; limit: number; cursor?: string },
  now: number,
): Promise<{ items: BillView[]; next_cursor: string | null }> {
  const order = query.status === 'paid' ? latestDue : soonestDue
  const page = keysetClause(order, query.cursor)
  const statusFilter =
    query.status === 'paid'
      ? `AND b.status = 'paid'`
      : query.status === 'unpaid'
        ? `AND b.status IN ('unpaid', 'partially_paid')`
        : ''
  const after = page.after ? `AND ${page.after}` : ''
  const { results } = await d1
    .prepare(
      `SELECT ${COLUMNS} ${VISIBLE} WHERE a.user_id = ? ${statusFilter} ${after} ORDER BY ${page.orderBy} LIMIT ?`,
    )
    .bind(userId, ...page.params, query.limit + 1)
    .all<VisibleBillRow>()
  return keysetPage(results, query.limit, (r) => toBillView(r, now), order)
}
