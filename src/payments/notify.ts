import { pushPaymentRequested, pushPaymentUpdated } from '../channel/push'
import type { Payment } from './purposes'
import { notifyPaymentChanged } from './waits'

/**
 * Called once after every committed transition, before the purpose's afterTransition: the one
 * place that tells the outside a payment moved: the `?wait=N` readers and the household channel
 * (`payment.updated` to the phones and the starting device). Best effort: what it misses, readers
 * see at their timeout or next read.
 */
export async function paymentCommitted(env: Env, payment: Payment): Promise<void> {
  await Promise.all([
    notifyPaymentChanged(env, payment, payment.version),
    pushPaymentUpdated(env, payment),
  ])
}

/**
 * Called once after the batch that created a payment committed (an order, a deal join, a bill
 * payment): the household channel tells the phones a device asks them to pay
 * (`payment.requested`). Best effort, like paymentCommitted.
 */
export async function paymentStarted(env: Env, payment: Payment): Promise<void> {
  await pushPaymentRequested(env, payment)
}
