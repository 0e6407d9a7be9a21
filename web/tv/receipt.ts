import { decodeProtectedHeader, type JSONWebKeySet } from 'jose'
import { type Receipt, verifyReceipt } from '../../src/payments/receipt-verify'
import { request } from '../shared/api'
import type { Payment } from '../shared/types'
import { identity } from './device'

let jwks: JSONWebKeySet | null = null

export type Verified = { ok: true; receipt: Receipt; kid: string } | { ok: false; reason: string }

/**
 * Verifies a payment's receipt offline: ES256 against /.well-known/jwks.json (fetched once, again
 * when a key id is unknown after a rotation), issued to this TV, for this payment and amount.
 */
export async function verifyPaymentReceipt(p: Payment): Promise<Verified> {
  const me = identity()
  if (!p.receipt) return { ok: false, reason: 'no receipt' }
  if (!me) return { ok: false, reason: 'this TV is not paired' }
  const kid = String(decodeProtectedHeader(p.receipt).kid)
  for (const fresh of [false, true]) {
    if (!jwks || fresh) jwks = await request<JSONWebKeySet>('/.well-known/jwks.json')
    if (!jwks.keys.some((k) => k.kid === kid) && !fresh) continue
    try {
      const receipt = await verifyReceipt(p.receipt, {
        jwks,
        issuer: me.issuer,
        audience: me.deviceId,
        paymentId: p.id,
      })
      if (receipt.amount !== p.amount.amount) return { ok: false, reason: 'amount differs' }
      return { ok: true, receipt, kid }
    } catch (err) {
      if (fresh) return { ok: false, reason: (err as Error).message }
    }
  }
  return { ok: false, reason: 'unknown signing key' }
}
