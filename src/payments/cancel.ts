import type { Principal } from '../env'
import { ApiError } from '../http/errors'
import { releasePayment } from './intents'
import type { Payment, Purposes } from './purposes'
import { canAct, readPaymentFor } from './queries'

/**
 * POST /v1/payments/{id}/cancel: the starting device or the paying user gives up an open payment
 * (a hold goes back). Canceling a canceled payment answers it again; any other ended payment, or
 * one that ended while this ran (captured, expired), is 409 invalid_transition.
 */
export async function cancelPayment(
  env: Env,
  purposes: Purposes,
  principal: Principal,
  paymentId: string,
  now: number,
): Promise<Payment> {
  const payment = await readPaymentFor(env, purposes, principal, paymentId, now, canAct)
  if (payment.status === 'canceled') return payment
  if (payment.status !== 'requires_confirmation' && payment.status !== 'requires_capture') {
    throw new ApiError('invalid_transition', `A ${payment.status} payment cannot be canceled`, {
      payment_status: payment.status,
    })
  }
  const released = await releasePayment(env, purposes, paymentId, now)
  if (released.payment.status !== 'canceled') {
    throw new ApiError('invalid_transition', `The payment is now ${released.payment.status}`, {
      payment_status: released.payment.status,
    })
  }
  return released.payment
}
