import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
import { creditStatements, walletBalance } from './ledger'

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
  await env.DB.batch(statements)
  return walletBalance(env.DB, userId)
}

export { walletBalance }
