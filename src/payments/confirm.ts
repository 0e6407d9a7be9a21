import { checkPaymentPin } from '../auth/pin'
import { signingKeys } from '../auth/keys'
import { requireSecret } from '../http/config'
import { ApiError } from '../http/errors'
import { captureTransfer, fundsOf, holdTransfer } from './funds'
import { giveBack } from './compensations'
import { expireIfDue } from './intents'
import { findChargeableMethod, type ChargeableMethod } from './methods'
import { providerFor, withRetries } from './providers'
import type { PaymentProvider } from './providers/types'
import type { ConfirmInput, Payment, Purposes } from './purposes'
import { findPayment } from './store'
import {
  LedgerOverdraft,
  transition,
  TransitionConflict,
  type TransitionOptions,
} from './transitions'

export type ConfirmRequest = ConfirmInput & {
  userId: string
  paymentId: string
  pin: string
  now: number
}

const DECLINED = 'The card was declined; try another payment method'

/**
 * The phone confirms: checks ownership, expiry, the purpose, the method and the PIN, then moves the
 * money (hold, plus capture when automatic) and the payment in one batch. Too little balance (402)
 * and a declined card (402) leave the payment confirmable and nothing written.
 */
export async function confirmPayment(
  env: Env,
  purposes: Purposes,
  req: ConfirmRequest,
): Promise<Payment> {
  // Missing secrets answer 503 before a PIN attempt is counted or money moves (the receipt is
  // signed after the commit).
  requireSecret(env, 'PIN_PEPPER')
  await signingKeys(env.JWT_KEYS)
  const found = await findPayment(env.DB, req.paymentId)
  if (!found || found.userId !== req.userId) throw new ApiError('not_found', 'No such payment')
  const payment = await expireIfDue(env, purposes, found, req.now)
  if (payment.status === 'expired') {
    throw new ApiError('payment_expired', 'This payment expired; start a new one from the TV')
  }
  if (payment.status !== 'requires_confirmation') {
    throw new ApiError('payment_not_confirmable', `This payment is already ${payment.status}`, {
      payment_status: payment.status,
    })
  }
  // Everything the input can get wrong is checked before the PIN, so it costs no attempt.
  const input: ConfirmInput = {
    paymentMethod: req.paymentMethod,
    shippingAddress: req.shippingAddress,
  }
  const handler = purposes[payment.purpose.type]
  const extra = (await handler.beforeConfirm?.(env, payment, input)) ?? []
  const method =
    req.paymentMethod === 'wallet'
      ? null
      : await findChargeableMethod(env, req.userId, req.paymentMethod)

  await checkPaymentPin(env, req.userId, req.pin, req.now)

  const to = payment.capture === 'automatic' ? 'succeeded' : 'requires_capture'
  if (!method) {
    const funds = fundsOf(payment, 'wallet')
    const transfers = [holdTransfer(payment, funds)]
    if (to === 'succeeded') transfers.push(captureTransfer(payment, funds))
    return commit(env, purposes, payment, to, req.now, {
      transfers,
      set: { method: 'wallet' },
      extra,
    })
  }

  const provider = providerFor(env, method.provider)
  const ref = await chargeCard(env, provider, payment, method, to === 'succeeded', req.now)
  const providerRef = `${provider.name}:${ref}`
  const funds = fundsOf(payment, method.id, providerRef)
  const transfers = [holdTransfer(payment, funds)]
  if (to === 'succeeded') transfers.push(captureTransfer(payment, funds))
  try {
    return await commit(env, purposes, payment, to, req.now, {
      transfers,
      set: { method: method.id, providerRef },
      extra,
    })
  } catch (err) {
    await compensateCard(env, provider, payment, providerRef, ref, to === 'succeeded', req.now)
    throw err
  }
}

/**
 * Authorizes (and captures, for automatic capture) at the gateway under keys derived from the
 * payment and the card, so concurrent or retried confirmations with the same card reach one
 * authorization, and confirmations with two different cards stay two separate charges (the loser
 * gives its own back in compensateCard). Whatever stops the capture voids the authorization
 * (owed and retried by the cron if the gateway does not answer the void).
 */
async function chargeCard(
  env: Env,
  provider: PaymentProvider,
  payment: Payment,
  method: ChargeableMethod,
  capture: boolean,
  now: number,
) {
  const auth = await withRetries(() =>
    provider.authorize({
      token: method.token,
      amount: payment.amount,
      idempotencyKey: `${payment.id}:authorize:${method.id}`,
    }),
  )
  if (!auth.ok) throw new ApiError('payment_declined', DECLINED)
  if (!capture) return auth.ref
  const voidAuthorization = () =>
    giveBack(
      env,
      provider,
      {
        paymentId: payment.id,
        ref: auth.ref,
        action: 'void',
        amount: payment.amount,
        idempotencyKey: `${payment.id}:void:${auth.ref}`,
      },
      now,
    )
  let captured: Awaited<ReturnType<PaymentProvider['capture']>>
  try {
    captured = await withRetries(() =>
      provider.capture({
        ref: auth.ref,
        amount: payment.amount,
        idempotencyKey: `${payment.id}:capture:${auth.ref}`,
      }),
    )
  } catch (err) {
    await voidAuthorization()
    throw err
  }
  if (!captured.ok) {
    await voidAuthorization()
    throw new ApiError('payment_declined', DECLINED)
  }
  return auth.ref
}

/**
 * The batch failed after the gateway took the card: give it back, unless a concurrent
 * confirmation won with this very charge (same method, same idempotency key, same ref).
 */
async function compensateCard(
  env: Env,
  provider: PaymentProvider,
  payment: Payment,
  providerRef: string,
  ref: string,
  captured: boolean,
  now: number,
) {
  const current = await findPayment(env.DB, payment.id)
  if (current?.providerRef === providerRef) return
  const action = captured ? ('refund' as const) : ('void' as const)
  const idempotencyKey = `${payment.id}:${action}:${ref}`
  const owed = { paymentId: payment.id, ref, action, amount: payment.amount, idempotencyKey }
  await giveBack(env, provider, owed, now)
}

async function commit(
  env: Env,
  purposes: Purposes,
  payment: Payment,
  to: 'succeeded' | 'requires_capture',
  now: number,
  opts: TransitionOptions,
): Promise<Payment> {
  try {
    return await transition(env, purposes, payment, to, now, opts)
  } catch (err) {
    if (err instanceof LedgerOverdraft) {
      const detail = 'The wallet balance does not cover this payment; it stays confirmable'
      throw new ApiError('insufficient_funds', detail)
    }
    if (err instanceof TransitionConflict) {
      const current = await findPayment(env.DB, payment.id)
      const status = current?.status ?? 'gone'
      throw new ApiError('payment_not_confirmable', `This payment is already ${status}`, {
        payment_status: current?.status,
      })
    }
    throw err
  }
}
