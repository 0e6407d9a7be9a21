import type { Principal } from '../env'
import { ApiError } from '../http/errors'
import { errorText } from '../lib/d1-errors'
import {
  expireIfDue,
  findOpenPayment,
  getPaymentView,
  isOpenPaymentConflict,
  newPaymentStatements,
  type PaymentView,
  type Payment,
  type Purposes,
  paymentStarted,
} from '../payments'
import { findVisibleBill } from './lookup'
import { payableAmount } from './rules'

export type PayResult = { created: boolean; payment: PaymentView }

/**
 * Starts the payment of a bill for the amount due (or a permitted part), or returns the payment
 * already awaiting confirmation. The payment is the bill's one open payment (purpose 'bill', id =
 * bill id): a TV and a phone paying at once make one payment, because the second insert fails on
 * payments_open_purpose_uq and reads the first. The payment is recorded with the bill version it
 * was priced on, from a subquery that aborts the batch if a feed changed the bill meanwhile.
 */
export async function payBill(
  env: Env,
  purposes: Purposes,
  principal: Principal,
  billId: string,
  requested: number | undefined,
  now: number,
): Promise<PayResult> {
  for (let tries = 0; tries < 2; tries++) {
    const bill = await findVisibleBill(env.DB, principal.userId, billId)
    const open = await openPayment(env, purposes, billId, now)
    if (open) {
      return { created: false, payment: await viewOfOpen(env, purposes, open, principal, now) }
    }
    const amount = payableAmount(bill, bill, requested, now)

    const { paymentId, payment, statements } = newPaymentStatements(env, {
      purpose: { type: 'bill', id: bill.id },
      userId: principal.userId,
      startedBy: principal,
      amount,
      capture: 'automatic',
      payee: { kind: 'biller', billerId: bill.biller_id },
      now,
    })
    const attempt = env.DB.prepare(
      `INSERT INTO bill_payment_attempts (payment_id, bill_id, bill_version, amount, created_at)
       VALUES (?, ?, (SELECT version FROM bills WHERE id = ? AND version = ? AND status <> 'paid'), ?, ?)`,
    ).bind(paymentId, bill.id, bill.id, bill.version, amount, now)
    try {
      await env.DB.batch([...statements, attempt])
    } catch (err) {
      if (isOpenPaymentConflict(err)) {
        const winner = await openPayment(env, purposes, billId, now)
        if (winner) {
          return {
            created: false,
            payment: await viewOfOpen(env, purposes, winner, principal, now),
          }
        }
        continue
      }
      if (/NOT NULL constraint failed: bill_payment_attempts\.bill_version/.test(errorText(err)))
        continue
      throw err
    }
    await paymentStarted(env, payment)
    return { created: true, payment: await getPaymentView(env, purposes, paymentId, now) }
  }
  throw new ApiError(
    'bill_changed',
    'The bill changed while its payment was being started; try again',
  )
}

async function openPayment(
  env: Env,
  purposes: Purposes,
  billId: string,
  now: number,
): Promise<Payment | null> {
  const found = await findOpenPayment(env.DB, { type: 'bill', id: billId })
  if (!found) return null
  const current = await expireIfDue(env, purposes, found, now)
  return current.status === 'requires_confirmation' || current.status === 'requires_capture'
    ? current
    : null
}

/** The person's own open payment is theirs to see; another household member's is not. */
async function viewOfOpen(
  env: Env,
  purposes: Purposes,
  payment: Payment,
  principal: Principal,
  now: number,
): Promise<PaymentView> {
  if (payment.userId !== principal.userId) {
    throw new ApiError(
      'bill_payment_in_progress',
      'Another member of your household is paying this bill right now',
    )
  }
  return getPaymentView(env, purposes, payment.id, now)
}
