import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
import { creditStatements, isPastBound, walletBalance } from './ledger'

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
    await env.DB.batch(statements)
  } catch (err) {
    if (!isPastBound(err)) throw err
    // The wallet, or the funding account it comes from, would pass ±(2^53 − 1).
    throw new ApiError('conflict', 'The wallet or the funding account would pass its bound', {
      errors: [{ path: 'amount.amount', message: 'too large for this wallet or the funding' }],
    })
  }
  return walletBalance(env.DB, userId)
}

export { walletBalance }
