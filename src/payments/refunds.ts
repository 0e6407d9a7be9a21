import { ApiError } from '../http/errors'
import { fundsOf, refundTransfer } from './funds'
import { providerFor, withRetries } from './providers'
import type { Payment, Purposes } from './purposes'
import { findPayment } from './store'
import { LedgerOverdraft, transition, TransitionConflict } from './transitions'

/**
 * Refunds all that is left (amount omitted) or part of it. succeeded → refunded, and refunded →
 * refunded for further partial refunds until nothing is left. The payee's account gives the money
 * back to where it came from (wallet, or the card through the provider).
 */
export async function refundPayment(
  env: Env,
  purposes: Purposes,
  paymentId: string,
  amount: number | undefined,
  now: number,
): Promise<Payment> {
  const payment = await findPayment(env.DB, paymentId)
  if (!payment) throw new ApiError('not_found', 'No such payment')
  if (payment.status !== 'succeeded' && payment.status !== 'refunded') {
    throw new ApiError('invalid_transition', `A ${payment.status} payment cannot be refunded`, {
      payment_status: payment.status,
    })
  }
  const remaining = payment.amount - payment.refundedAmount
  const refund = amount ?? remaining
  if (remaining <= 0) {
    throw new ApiError('refund_exceeds_amount', 'This payment is already refunded in full')
  }
  if (refund > remaining) {
    throw new ApiError('refund_exceeds_amount', `At most ${remaining} fen is left to refund`, {
      refundable: remaining,
    })
  }
  const funds = fundsOf(payment)
  if (funds.provider) {
    const { name, ref } = funds.provider
    const provider = providerFor(env, name)
    // Keyed like the ledger transfer: refunds computed from the same state are one at the gateway.
    const idempotencyKey = `${payment.id}:refund:${payment.refundedAmount}`
    const outcome = await withRetries(() =>
      provider.refund({ ref, amount: refund, idempotencyKey }),
    )
    if (!outcome.ok) throw new ApiError('payment_declined', 'The card gateway refused the refund')
  }
  try {
    return await transition(env, purposes, payment, 'refunded', now, {
      transfers: [refundTransfer(payment, funds, refund)],
      set: { refundedAmount: payment.refundedAmount + refund },
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
