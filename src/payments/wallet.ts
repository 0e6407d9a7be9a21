import { ApiError } from '../http/errors'
import { errorText } from '../lib/d1-errors'
import { newId } from '../lib/ids'
import { accounts, creditStatements, walletBalance } from './ledger'

/** Admin credit: a funding → wallet transfer. */
export async function creditWallet(
  env: Env,
  userId: string,
  amount: number,
  reason: string,
  now: number,
) {
  const user = await env.DB.prepare('SELECT id FROM users WHERE id = ?').bind(userId).first()
  if (!user) throw new ApiError('not_found', 'No such user')
  const transferKey = `credit:${newId('transfer')}`
  const credit = { userId, amount, reason, dedupeKey: transferKey }
  const statements = creditStatements(env.DB, credit, now)
  try {
    await env.DB.batch([...statements, balanceCeiling(env.DB, accounts.walletAvailable(userId).id)])
  } catch (err) {
    if (!BALANCE_NULLED.test(errorText(err))) throw err
    throw new ApiError('conflict', 'The wallet balance would exceed what an amount can hold', {
      errors: [{ path: 'amount.amount', message: 'too large for this wallet' }],
    })
  }
  return walletBalance(env.DB, userId)
}

const BALANCE_NULLED = /NOT NULL constraint failed: ledger_accounts\.balance/

/**
 * Last in the batch: a balance past 2^53 - 1 could no longer be read back exactly (every later
 * wallet read would fail), so nulling it trips the NOT NULL and aborts the whole credit.
 */
function balanceCeiling(d1: D1Database, accountId: string): D1PreparedStatement {
  return d1
    .prepare('UPDATE ledger_accounts SET balance = NULL WHERE id = ? AND balance > ?')
    .bind(accountId, Number.MAX_SAFE_INTEGER)
}

export { walletBalance }
