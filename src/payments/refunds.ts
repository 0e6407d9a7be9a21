import { ApiError } from '../http/errors'
import { fundsOf, refundTransfer } from './funds'
import { providerFor, withRetries } from './providers'
import type { Payment, Purposes } from './purposes'
import { findPayment } from './store'
import { LedgerOverdraft, transition, TransitionConflict } from './transitions'

/**
 * A payment method that is neither the wallet nor a card provider (Alipay) gives refunds back
 * itself: it moves the money at its gateway (throwing an ApiError when it cannot) and returns
 * statements that must commit with the refund's transition. src/wiring.ts names them by method.
 */
export type RefundRail = (
  env: Env,
  payment: Payment,
  amount: number,
  now: number,
) => Promise<D1PreparedStatement[]>

export type RefundRails = Readonly<Record<string, RefundRail>>

/**
 * Refunds all that is left (amount omitted) or part of it: succeeded or partially_refunded →
 * refunded when nothing is left, partially_refunded otherwise. The payee's account gives the
 * money back to where it came from (the wallet, the card through its provider, or a rail's
 * clearing account).
 */
export async function refundPayment(
  env: Env,
  purposes: Purposes,
  rails: RefundRails,
  paymentId: string,
  amount: number | undefined,
  now: number,
): Promise<Payment> {
  const payment = await findPayment(env.DB, paymentId)
  if (!payment) throw new ApiError('not_found', 'No such payment')
  if (payment.status === 'refunded') {
    throw new ApiError('refund_exceeds_amount', 'This payment is already refunded in full')
  }
  if (payment.status !== 'succeeded' && payment.status !== 'partially_refunded') {
    throw new ApiError('invalid_transition', `A ${payment.status} payment cannot be refunded`, {
      payment_status: payment.status,
    })
  }
  const remaining = payment.amount - payment.refundedAmount
  const refund = amount ?? remaining
  if (refund > remaining) {
    throw new ApiError('refund_exceeds_amount', `At most ${remaining} fen is left to refund`, {
      refundable: remaining,
    })
  }
  const funds = fundsOf(payment)
  let extra: D1PreparedStatement[] = []
  const rail = funds.provider && rails[funds.provider.name]
  if (rail) {
    extra = await rail(env, payment, refund, now)
  } else if (funds.provider) {
    const { name, ref } = funds.provider
    const provider = providerFor(env, name)
    // Keyed like the ledger transfer: refunds computed from the same state are one at the gateway.
    const idempotencyKey = `${payment.id}:refund:${payment.refundedAmount}`
    const outcome = await withRetries(() =>
      provider.refund({ ref, amount: refund, idempotencyKey }),
    )
    if (!outcome.ok) throw new ApiError('payment_declined', 'The card gateway refused the refund')
  }
  const to = refund === remaining ? 'refunded' : 'partially_refunded'
  try {
    return await transition(env, purposes, payment, to, now, {
      transfers: [refundTransfer(payment, funds, refund)],
      set: { refundedAmount: payment.refundedAmount + refund },
      extra,
    })
  } catch (err) {
    if (err instanceof TransitionConflict) {
      throw new ApiError('conflict', 'Another refund of this payment went first; read it and retry')
    }
    if (err instanceof LedgerOverdraft) {
      throw new ApiError('conflict', 'The payee account cannot cover this refund')
    }
    throw err
  }
}
