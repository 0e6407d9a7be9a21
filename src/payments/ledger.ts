import { newId } from '../lib/ids'

/**
 * Double-entry ledger. Every movement is one immutable transfer that debits one account and
 * credits another by the same amount; balance = credits - debits, so all balances sum to zero.
 * The no-overdraft CHECK on ledger_accounts aborts the whole batch that would take a wallet, a
 * hold, the merchant or a biller below zero: that is the only balance check, and it is in SQL.
 */
export type AccountKind =
  | 'wallet_available'
  | 'wallet_held'
  | 'merchant_receivable'
  | 'biller_payable'
  | 'funding'
  | 'provider'
  | 'provider_authorized'

export type Account = { id: string; kind: AccountKind; ownerId: string | null }

export const accounts = {
  walletAvailable: (userId: string): Account => ({ id: `wallet:${userId}:available`, kind: 'wallet_available', ownerId: userId }),
  walletHeld: (userId: string): Account => ({ id: `wallet:${userId}:held`, kind: 'wallet_held', ownerId: userId }),
  merchant: (): Account => ({ id: 'merchant:receivable', kind: 'merchant_receivable', ownerId: null }),
  biller: (billerId: string): Account => ({ id: `biller:${billerId}:payable`, kind: 'biller_payable', ownerId: billerId }),
  /** Where admin credits come from: money paid into the platform from outside. May go negative. */
  funding: (): Account => ({ id: 'funding', kind: 'funding', ownerId: null }),
  /** Money arriving from (or refunded to) a card network through a provider. May go negative. */
  provider: (name: string): Account => ({ id: `provider:${name}`, kind: 'provider', ownerId: name }),
  /** Card authorizations not yet captured (the card-side twin of wallet_held). */
  providerAuthorized: (name: string): Account => ({
    id: `provider:${name}:authorized`,
    kind: 'provider_authorized',
    ownerId: name,
  }),
}

export type TransferKind = 'credit' | 'hold' | 'capture' | 'release' | 'refund'

export type Transfer = {
  kind: TransferKind
  debit: Account
  credit: Account
  amount: number
  /** Unique across the ledger: a repeated hold/capture/refund aborts its batch instead of posting twice. */
  dedupeKey: string
  paymentId?: string
  memo?: string
}

/** The statements that post one transfer; put them in the batch with whatever else must commit. */
export function transferStatements(d1: D1Database, t: Transfer, now: number): D1PreparedStatement[] {
  if (!Number.isSafeInteger(t.amount) || t.amount <= 0) throw new Error(`transfer amount must be a positive integer, got ${t.amount}`)
  if (t.debit.id === t.credit.id) throw new Error('a transfer needs two different accounts')
  return [
    d1
      .prepare(
        `INSERT OR IGNORE INTO ledger_accounts (id, kind, owner_id, balance, created_at)
         VALUES (?, ?, ?, 0, ?), (?, ?, ?, 0, ?)`,
      )
      .bind(t.debit.id, t.debit.kind, t.debit.ownerId, now, t.credit.id, t.credit.kind, t.credit.ownerId, now),
    d1
      .prepare(
        `INSERT INTO ledger_transfers
           (id, payment_id, kind, debit_account_id, credit_account_id, amount, dedupe_key, memo, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(newId('transfer'), t.paymentId ?? null, t.kind, t.debit.id, t.credit.id, t.amount, t.dedupeKey, t.memo ?? null, now),
    d1
      .prepare(
        `UPDATE ledger_accounts SET balance = balance + CASE id WHEN ? THEN -? ELSE ? END WHERE id IN (?, ?)`,
      )
      .bind(t.debit.id, t.amount, t.amount, t.debit.id, t.credit.id),
  ]
}

/** D1 reports constraint failures as error messages; these name our constraints. */
export function isOverdraft(err: unknown): boolean {
  return errorText(err).includes('ledger_accounts_no_overdraft')
}

export function isDuplicateTransfer(err: unknown): boolean {
  return /UNIQUE constraint failed: ledger_transfers\.dedupe_key/.test(errorText(err))
}

export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause instanceof Error ? ` ${err.cause.message}` : ''
  return `${err.message}${cause}`
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
