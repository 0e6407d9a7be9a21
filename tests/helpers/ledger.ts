import { expect } from 'vitest'

/** Accounts that represent money outside the platform and may go negative. */
const EXTERNAL_KINDS = new Set(['funding', 'provider'])

type AccountRow = { id: string; kind: string; balance: number }
type TransferRow = {
  id: string
  amount: number
  debit_account_id: string
  credit_account_id: string
}

export type LedgerReport = {
  total: number
  negative: { id: string; balance: number }[]
  mismatched: { id: string; balance: number; fromEntries: number }[]
  orphanEntries: string[]
  unbalancedTransfers: string[]
  /** Balances past ±(2^53 − 1), or not read back as exact integers. */
  pastBound: string[]
}

/**
 * Reads the whole ledger and reports every broken invariant: all balances sum to zero, no internal
 * account below zero, every balance equals the sum of its entries (credits - debits), every
 * transfer debits and credits the same positive amount between two existing accounts, every
 * balance within ±(2^53 − 1). The total is added up in BigInt: exact whatever the balances.
 */
export async function ledgerReport(db: D1Database): Promise<LedgerReport> {
  const [accounts, entries, transfers] = await db.batch<any>([
    db.prepare('SELECT id, kind, balance FROM ledger_accounts'),
    db.prepare(
      `SELECT account_id, SUM(delta) AS sum FROM (
         SELECT credit_account_id AS account_id, amount AS delta FROM ledger_transfers
         UNION ALL SELECT debit_account_id, -amount FROM ledger_transfers
       ) GROUP BY account_id`,
    ),
    db.prepare('SELECT id, amount, debit_account_id, credit_account_id FROM ledger_transfers'),
  ])
  const balances = accounts.results as AccountRow[]
  const entryRows = entries.results as { account_id: string; sum: number }[]
  const sums = new Map(entryRows.map((e) => [e.account_id, e.sum]))
  const known = new Set(balances.map((a) => a.id))
  const isNegative = (a: AccountRow) => a.balance < 0 && !EXTERNAL_KINDS.has(a.kind)
  const isUnbalanced = (t: TransferRow) =>
    !(Number.isSafeInteger(t.amount) && t.amount > 0) || t.debit_account_id === t.credit_account_id
  return {
    total: Number(balances.reduce((s, a) => s + BigInt(a.balance), 0n)),
    negative: balances.filter(isNegative).map(({ id, balance }) => ({ id, balance })),
    mismatched: balances
      .filter((a) => (sums.get(a.id) ?? 0) !== a.balance)
      .map((a) => ({ id: a.id, balance: a.balance, fromEntries: sums.get(a.id) ?? 0 })),
    orphanEntries: [...sums.keys()].filter((id) => !known.has(id)),
    unbalancedTransfers: (transfers.results as TransferRow[]).filter(isUnbalanced).map((t) => t.id),
    pastBound: balances.filter((a) => !Number.isSafeInteger(a.balance)).map((a) => a.id),
  }
}

/** Fails the test with the full report when any ledger invariant is broken. */
export async function expectLedgerBalanced(db: D1Database): Promise<void> {
  expect(await ledgerReport(db)).toEqual({
    total: 0,
    negative: [],
    mismatched: [],
    orphanEntries: [],
    unbalancedTransfers: [],
    pastBound: [],
  })
}

export async function balanceOf(db: D1Database, accountId: string): Promise<number> {
  const row = await db
    .prepare('SELECT balance FROM ledger_accounts WHERE id = ?')
    .bind(accountId)
    .first<{ balance: number }>()
  return row?.balance ?? 0
}

export async function transfersOf(db: D1Database, paymentId: string) {
  const { results } = await db
    .prepare(
      `SELECT kind, debit_account_id, credit_account_id, amount FROM ledger_transfers
       WHERE payment_id = ? ORDER BY created_at, kind`,
    )
    .bind(paymentId)
    .all<{ kind: string; debit_account_id: string; credit_account_id: string; amount: number }>()
  return results
}
