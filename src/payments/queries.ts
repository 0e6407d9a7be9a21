import type { Principal } from '../env'
import { readPrimaryFromNowOn } from '../http/d1-session'
import { ApiError } from '../http/errors'
import { keysetClause, keysetPage, newestFirst } from '../lib/pagination'
import { expireIfDue, loadPayment } from './intents'
import type { Payment, PaymentStatus, Purposes } from './purposes'
import { toPayment, type PaymentRow } from './store'
import { waitForPaymentChange } from './waits'

/**
 * Any of the paying user's devices may read a payment (a second TV in the household is handed the
 * open bill payment another TV started); the middleware has already refused revoked devices and
 * tokens whose device moved to another user. Anyone else gets the same 404 as an unknown id.
 */
export function canRead(principal: Principal, payment: Payment): boolean {
  return principal.userId === payment.userId
}

/** Acting on a payment (cancel) stays with the starting device or the paying user. */
export function canAct(principal: Principal, payment: Payment): boolean {
  if (!canRead(principal, payment)) return false
  return principal.kind === 'user' || principal.deviceId === payment.startedByDeviceId
}

export async function readPaymentFor(
  env: Env,
  purposes: Purposes,
  principal: Principal,
  paymentId: string,
  now: number,
  allowed: (principal: Principal, payment: Payment) => boolean = canRead,
): Promise<Payment> {
  const payment = await loadPayment(env, purposes, paymentId, now)
  if (!payment || !allowed(principal, payment)) throw new ApiError('not_found', 'No such payment')
  return payment
}

/** Newest first; unconfirmed ones past expiry expire on the way. */
export async function listUserPayments(
  env: Env,
  purposes: Purposes,
  userId: string,
  opts: { status?: PaymentStatus; limit: number; cursor?: string },
  now: number,
): Promise<{ items: Payment[]; nextCursor: string | null }> {
  const page = keysetClause(newestFirst, opts.cursor)
  const where = ['user_id = ?']
  const params: unknown[] = [userId]
  if (opts.status) {
    where.push('status = ?')
    params.push(opts.status)
    if (opts.status === 'requires_confirmation') {
      where.push('expires_at > ?')
      params.push(now)
    }
  }
  if (page.after) where.push(page.after)
  const { results } = await env.DB.prepare(
    `SELECT * FROM payments WHERE ${where.join(' AND ')} ORDER BY ${page.orderBy} LIMIT ?`,
  )
    .bind(...params, ...page.params, opts.limit + 1)
    .all<PaymentRow>()
  const rows = keysetPage(results, opts.limit, toPayment, newestFirst)
  const items = await Promise.all(rows.items.map((p) => expireIfDue(env, purposes, p, now)))
  return { items, nextCursor: rows.next_cursor }
}

export const MAX_WAIT_SECONDS = 25
const OPEN = new Set<PaymentStatus>(['requires_confirmation', 'requires_capture'])

/**
 * GET ?wait=N: when the payment is still open (and in the status the client last saw, if it says),
 * park on its user's PaymentWaits object until a transition notifies it, N seconds pass, or the
 * payment reaches expires_at (the re-read then expires it). Two D1 reads however long it waits.
 */
export async function readPaymentWaiting(
  env: Env,
  purposes: Purposes,
  principal: Principal,
  paymentId: string,
  opts: { waitSeconds: number; seenStatus?: PaymentStatus },
  now: number,
): Promise<Payment> {
  const payment = await readPaymentFor(env, purposes, principal, paymentId, now)
  if (opts.waitSeconds <= 0 || !OPEN.has(payment.status)) return payment
  if (opts.seenStatus && opts.seenStatus !== payment.status) return payment
  let until = now + Math.min(opts.waitSeconds, MAX_WAIT_SECONDS) * 1000
  if (payment.status === 'requires_confirmation') until = Math.min(until, payment.expiresAt + 1)
  const changed = await waitForPaymentChange(env, payment, payment.version, until - Date.now())
  // The change was committed at the primary by another request: a replica may not have it yet.
  if (changed) readPrimaryFromNowOn(env.DB)
  return readPaymentFor(env, purposes, principal, paymentId, Date.now())
}
