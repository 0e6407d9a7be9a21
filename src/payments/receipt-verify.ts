/**
 * Offline verification of a payment receipt, for TV clients: depends only on jose.
 *
 *   const jwks = await (await fetch(`${BASE}/.well-known/jwks.json`)).json()   // cache it
 *   const receipt = await verifyReceipt(jws, { jwks, issuer, audience: myDeviceId })
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose'

export const RECEIPT_TYPE = 'tvpay-receipt+jwt'

export type Receipt = {
  payment_id: string
  amount: number
  currency: 'CNY'
  purpose: { type: 'order' | 'deal' | 'bill'; id: string }
  status: 'requires_capture' | 'succeeded' | 'partially_refunded' | 'refunded'
  refunded_amount?: number
  iss: string
  aud: string
  sub: string
  jti: string
  iat: number
}

export type VerifyOptions = {
  jwks: JSONWebKeySet
  issuer: string
  /** The device id this TV was paired as (or the user id for a phone-started payment). */
  audience: string
  /** Expected payment, when the client knows which one it is waiting for. */
  paymentId?: string
}

/** The receipt's claims; throws when the signature, algorithm, type or claims are wrong. */
export async function verifyReceipt(jws: string, opts: VerifyOptions): Promise<Receipt> {
  const { payload } = await jwtVerify(jws, createLocalJWKSet(opts.jwks), {
    algorithms: ['ES256'],
    typ: RECEIPT_TYPE,
    issuer: opts.issuer,
    audience: opts.audience,
    requiredClaims: ['jti', 'iat', 'sub'],
  })
  const p = payload as Partial<Receipt>
  const purpose = p.purpose
  const valid =
    typeof p.payment_id === 'string' &&
    Number.isSafeInteger(p.amount) &&
    (p.amount as number) > 0 &&
    p.currency === 'CNY' &&
    typeof purpose === 'object' &&
    purpose !== null &&
    ['order', 'deal', 'bill'].includes(purpose.type) &&
    typeof purpose.id === 'string' &&
    ['requires_capture', 'succeeded', 'partially_refunded', 'refunded'].includes(p.status as string)
  if (!valid) throw new Error('receipt claims are malformed')
  if (opts.paymentId !== undefined && p.payment_id !== opts.paymentId) {
    throw new Error('receipt is for another payment')
  }
  return payload as unknown as Receipt
}
