/**
 * The SQL that writes billers and bills, free of Worker types so the demo seeder (Node) writes
 * exactly what the admin route and the signed feed write.
 */
import type { RowOf } from '../db/rows'
import type { billers } from '../db/schema/bills'

export type SqlValue = string | number | null
export type Sql = { sql: string; params: SqlValue[] }

export type BillerRow = RowOf<typeof billers>

/** A checked feed line: [new id, bill_ref, account_number, period, amount_due fen, due_date]. */
export type GoodLine = [
  id: string,
  billRef: string,
  accountNumber: string,
  period: string,
  amountDue: number,
  dueDate: string,
]

/**
 * The write of a biller row, shared by the admin route (always a new id) and the demo seeder
 * (stable ids, so a re-seed updates in place).
 */
export function billerUpsertSql(row: BillerRow): Sql {
  return {
    sql: `INSERT INTO billers (id, name, category, account_pattern, amount_rule, min_amount, max_amount,
            payable_after_due, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET name = excluded.name, category = excluded.category,
            account_pattern = excluded.account_pattern, amount_rule = excluded.amount_rule,
            min_amount = excluded.min_amount, max_amount = excluded.max_amount,
            payable_after_due = excluded.payable_after_due, updated_at = excluded.updated_at`,
    params: [
      row.id,
      row.name,
      row.category,
      row.account_pattern,
      row.amount_rule,
      row.min_amount,
      row.max_amount,
      row.payable_after_due,
      row.created_at,
      row.updated_at,
    ],
  }
}

/**
 * Upserts checked lines (one JSON parameter, so any number of lines fits D1's 100-parameter cap).
 * Only an unpaid bill without a payment awaiting confirmation is changed, and only when a field
 * differs, so a re-sent identical line does not bump the version. Shared with the demo seeder.
 */
export function billUpsertSql(billerId: string, lines: GoodLine[], now: number): Sql {
  return {
    sql: `INSERT INTO bills (id, biller_id, bill_ref, account_number, period, amount_due, due_date,
            status, amount_paid, version, created_at, updated_at)
          SELECT j.value ->> 0, ?1, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5,
            'unpaid', 0, 1, ?2, ?2
          FROM json_each(?3) j WHERE true
          ON CONFLICT (biller_id, bill_ref) DO UPDATE SET
            account_number = excluded.account_number, period = excluded.period,
            amount_due = excluded.amount_due, due_date = excluded.due_date,
            version = bills.version + 1, updated_at = excluded.updated_at
          WHERE bills.status = 'unpaid'
            AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.purpose_type = 'bill' AND p.purpose_id = bills.id
              AND p.status IN ('requires_confirmation', 'requires_capture') AND p.expires_at > ?2)
            AND (bills.account_number, bills.period, bills.amount_due, bills.due_date)
              IS NOT (excluded.account_number, excluded.period, excluded.amount_due, excluded.due_date)`,
    params: [billerId, now, JSON.stringify(lines)],
  }
}
