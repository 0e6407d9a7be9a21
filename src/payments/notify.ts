import type { Payment } from './purposes'
import { notifyPaymentChanged } from './waits'

/**
 * Called once after every committed transition, before the purpose's afterTransition: the one
 * place that tells the outside a payment moved (today the `?wait=N` readers). Best effort: what it
 * misses, readers see at their timeout or next read.
 */
export async function paymentCommitted(env: Env, payment: Payment): Promise<void> {
  await notifyPaymentChanged(env, payment.id, payment.version)
}
