import { cleanExpiredIdempotencyKeys } from '../http/idempotency'
import { expireIfDue } from './intents'
import type { Purposes } from './purposes'
import { toPayment, type PaymentRow } from './store'

const BATCH = 100

/**
 * Cron: expires unconfirmed payments past expires_at (each in its own batch with its purpose's
 * release), oldest first, a bounded slice per tick. Idempotent: a payment expired lazily or
 * confirmed meanwhile is skipped by the transition guard.
 */
export async function expireDuePayments(
  env: Env,
  purposes: Purposes,
  now: number,
): Promise<{ expired: number }> {
  const { results } = await env.DB.prepare(
    `SELECT * FROM payments WHERE status = 'requires_confirmation' AND expires_at <= ?
     ORDER BY expires_at LIMIT ?`,
  )
    .bind(now, BATCH)
    .all<PaymentRow>()
  let expired = 0
  for (const row of results) {
    try {
      if ((await expireIfDue(env, purposes, toPayment(row), now)).status === 'expired') expired++
    } catch (err) {
      const line = { cron: 'payments.expire', payment: row.id, error: String(err) }
      console.error(JSON.stringify(line))
    }
  }
  return { expired }
}

export async function paymentsMaintenance(env: Env, purposes: Purposes, now: number) {
  const { expired } = await expireDuePayments(env, purposes, now)
  const idempotencyKeysDeleted = await cleanExpiredIdempotencyKeys(env, now)
  return { expired, idempotencyKeysDeleted }
}
