import { SignJWT } from 'jose'
import { signingKeys } from '../auth/keys'
import type { Payment } from './purposes'

export const RECEIPT_TYPE = 'tvpay-receipt+jwt'

/** Statuses a receipt attests: money was held, taken or given back. */
export const RECEIPT_STATUSES = new Set([
  'requires_capture',
  'succeeded',
  'partially_refunded',
  'refunded',
])

/**
 * A compact JWS (ES256, kid from JWT_KEYS) a TV can verify offline against /.well-known/jwks.json.
 * `aud` is the device that started the payment (or the user when the phone started it), unless
 * the reader is another of the user's devices: then that device, so it can verify it too.
 */
export async function signReceipt(
  env: { JWT_KEYS: string; JWT_ISSUER: string },
  payment: Payment,
  now: number,
  audience: string = payment.startedByDeviceId ?? payment.userId,
): Promise<string> {
  const { current } = await signingKeys(env.JWT_KEYS)
  return new SignJWT({
    payment_id: payment.id,
    amount: payment.amount,
    currency: payment.currency,
    purpose: { type: payment.purpose.type, id: payment.purpose.id },
    status: payment.status,
    ...(payment.refundedAmount > 0 ? { refunded_amount: payment.refundedAmount } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', kid: current.kid, typ: RECEIPT_TYPE })
    .setIssuer(env.JWT_ISSUER)
    .setAudience(audience)
    .setSubject(payment.userId)
    .setJti(crypto.randomUUID())
    .setIssuedAt(Math.floor(now / 1000))
    .sign(current.key)
}
