import type { RowOf } from '../db/rows'
import type { ledgerAccounts, ledgerTransfers } from '../db/schema/payments'
import { errorText } from '../lib/d1-errors'
import { newId } from '../lib/ids'

/**
 * Double-entry ledger. Every movement is one immutable transfer that debits one account and
 * credits another by the same amount; balance = credits - debits, so all balances sum to zero.
 * The no-overdraft CHECK on ledger_accounts aborts the whole batch that would take a wallet, a
 * hold, the merchant or a biller below zero: that is the only balance check, and it is in SQL.
 * Triggers (migration 0018) refuse any UPDATE or DELETE of a transfer, and tell a retried
 * transfer ('exists') from another one under the same key (an error): see transferRetry.
 * Every account, external ones too, is bounded by ±(2^53 − 1) (ledger_accounts_balance_bounded)
 * and so is every amount, so balances read back exactly and the ledger sums to zero exactly.
 */
export type AccountKind = RowOf<typeof ledgerAccounts>['kind']

export type Account = { id: string; kind: AccountKind; ownerId: string | null }

export const accounts = {
  walletAvailable: (userId: string) =>
    account(`wallet:${userId}:available`, 'wallet_available', userId),
  walletHeld: (userId: string) => account(`wallet:${userId}:held`, 'wallet_held', userId),
  merchant: () => account('merchant:receivable', 'merchant_receivable', null),
  biller: (billerId: string) => account(`biller:${billerId}:payable`, 'biller_payable', billerId),
  /** Where admin credits come from: money paid into the platform from outside. May go negative. */
  funding: () => account('funding', 'funding', null),
  /** Money arriving from (or refunded to) a card network through a provider. May go negative. */
  provider: (name: string) => account(`provider:${name}`, 'provider', name),
  /** Card authorizations not yet captured (the card-side twin of wallet_held). */
  providerAuthorized: (name: string) =>
    account(`provider:${name}:authorized`, 'provider_authorized', name),
  /** Alipay's clearing account: money Alipay collected for us, or gave back. May go negative. */
  alipayClearing: () => account('provider:alipay', 'provider', 'alipay'),
}

function account(id: string, kind: AccountKind, ownerId: string | null): Account {
  return { id, kind, ownerId }
}

export type TransferKind = RowOf<typeof ledgerTransfers>['kind']

export type Transfer = {
  kind: TransferKind
  debit: Account
  credit: Account
  amount: number
  /** Unique in the ledger: a repeated hold/capture/refund aborts its batch, never posts twice. */
  dedupeKey: string
  paymentId?: string
  memo?: string
}

/** The statements that post one transfer; put them in the batch with whatever else must commit. */
export function transferStatements(
  d1: D1Database,
  t: Transfer,
  now: number,
): D1PreparedStatement[] {
  if (!Number.isSafeInteger(t.amount) || t.amount <= 0) {
    throw new Error(`transfer amount must be a positive integer, got ${t.amount}`)
  }
  if (t.debit.id === t.credit.id) throw new Error('a transfer needs two different accounts')
  return [
    d1
      .prepare(
        `INSERT OR IGNORE INTO ledger_accounts (id, kind, owner_id, balance, created_at)
         VALUES (?, ?, ?, 0, ?), (?, ?, ?, 0, ?)`,
      )
      .bind(...accountRow(t.debit, now), ...accountRow(t.credit, now)),
    d1
      .prepare(
        `INSERT INTO ledger_transfers
           (id, payment_id, kind, debit_account_id, credit_account_id, amount, dedupe_key, memo,
            created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(
        newId('transfer'),
        t.paymentId ?? null,
        t.kind,
        t.debit.id,
        t.credit.id,
        t.amount,
        t.dedupeKey,
        t.memo ?? null,
        now,
      ),
    d1
      .prepare(
        // D1 binds every JS number as REAL: cast, so balance ± amount is 64-bit integer arithmetic.
        `UPDATE ledger_accounts
         SET balance = balance + CASE id WHEN ? THEN -CAST(? AS INTEGER) ELSE CAST(? AS INTEGER) END
         WHERE id IN (?, ?)`,
      )
      .bind(t.debit.id, t.amount, t.amount, t.debit.id, t.credit.id),
  ]
}

function accountRow(a: Account, now: number) {
  return [a.id, a.kind, a.ownerId, now] as const
}

/** D1 reports constraint failures as error messages; these name our constraints. */
export function isOverdraft(err: unknown): boolean {
  return errorText(err).includes('ledger_accounts_no_overdraft')
}

/**
 * Why a batch with a transfer failed, when it was the transfer's dedupe key. Either way nothing
 * was written. 'exists': the very same transfer was posted before, so the work is done (a retry).
 * 'key_reused': a different transfer holds that key, which no retry can explain: an error.
 */
export function transferRetry(err: unknown): 'exists' | 'key_reused' | null {
  const text = errorText(err)
  if (text.includes('ledger_transfer_exists')) return 'exists'
  if (text.includes('ledger_transfer_key_reused')) return 'key_reused'
  return null
}

/** A transfer would have taken an account past ±(2^53 − 1), or its amount is past it. */
export function isPastBound(err: unknown): boolean {
  return /ledger_accounts_balance_bounded|ledger_transfers_amount_bounded/.test(errorText(err))
}

export type WalletBalance = { balance: number; held: number }

export async function walletBalance(d1: D1Database, userId: string): Promise<WalletBalance> {
  const available = accounts.walletAvailable(userId).id
  const held = accounts.walletHeld(userId).id
  const { results } = await d1
    .prepare('SELECT id, balance FROM ledger_accounts WHERE id IN (?, ?)')
    .bind(available, held)
    .all<{ id: string; balance: number }>()
  const of = (id: string) => results.find((r) => r.id === id)?.balance ?? 0
  return { balance: of(available), held: of(held) }
}

/** Admin credit: funding → the user's available wallet. */
export function creditStatements(
  d1: D1Database,
  input: { userId: string; amount: number; reason: string; dedupeKey: string },
  now: number,
): D1PreparedStatement[] {
  return transferStatements(
    d1,
    {
      kind: 'credit',
      debit: accounts.funding(),
      credit: accounts.walletAvailable(input.userId),
      amount: input.amount,
      dedupeKey: input.dedupeKey,
      memo: input.reason,
    },
    now,
  )
}
