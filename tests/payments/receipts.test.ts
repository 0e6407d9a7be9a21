import { env } from 'cloudflare:test'
import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { verifyReceipt } from '../../src/payments/receipt-verify'
import { call } from '../helpers/http'
import { createTestDevice } from '../helpers/principals'
import { confirm, household, orderFromTv } from './helpers'

async function paidReceipt() {
  const { user, tv } = await household({ balance: 10_000 })
  const { payment, order } = await orderFromTv(tv.token, { price: 1234 })
  const res = await confirm(user.token, payment.id)
  expect(res.status).toBe(200)
  const jwks = (await call('GET', '/.well-known/jwks.json')).body
  return { receipt: res.body.receipt as string, jwks, tv, user, payment, order }
}

function tamper(jws: string, edit: (claims: any) => void) {
  const [h, p, s] = jws.split('.')
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p)))
  edit(claims)
  return [h, base64url.encode(JSON.stringify(claims)), s].join('.')
}

describe('receipts', () => {
  it('verify offline against the JWKS, for the device that started the payment', async () => {
    const { receipt, jwks, tv, payment, order } = await paidReceipt()
    const claims = await verifyReceipt(receipt, {
      jwks,
      issuer: env.JWT_ISSUER,
      audience: tv.id,
      paymentId: payment.id,
    })
    expect(claims).toMatchObject({
      payment_id: payment.id,
      amount: 1234,
      currency: 'CNY',
      purpose: { type: 'order', id: order.id },
      status: 'succeeded',
      aud: tv.id,
      iss: env.JWT_ISSUER,
    })
    expect(claims.jti).toBeTruthy()
    expect(Number.isInteger(claims.iat)).toBe(true)
    const header = JSON.parse(new TextDecoder().decode(base64url.decode(receipt.split('.')[0])))
    expect(header).toMatchObject({ alg: 'ES256', typ: 'tvpay-receipt+jwt' })
    expect(jwks.keys.map((k: any) => k.kid)).toContain(header.kid)
    // The payment read by the TV carries a receipt too.
    const read = await call('GET', `/v1/payments/${payment.id}`, { token: tv.token })
    await expect(
      verifyReceipt(read.body.receipt, { jwks, issuer: env.JWT_ISSUER, audience: tv.id }),
    ).resolves.toBeTruthy()
  })

  it("another of the user's TVs reading the payment gets a receipt it can verify as its own", async () => {
    const { jwks, tv, user, payment } = await paidReceipt()
    const secondTv = await createTestDevice(user.id, { name: 'Bedroom TV' })
    const read = await call('GET', `/v1/payments/${payment.id}`, { token: secondTv.token })
    expect(read.status, read.text).toBe(200)
    const opts = { jwks, issuer: env.JWT_ISSUER, paymentId: payment.id }
    await expect(
      verifyReceipt(read.body.receipt, { ...opts, audience: secondTv.id }),
    ).resolves.toMatchObject({ aud: secondTv.id })
    await expect(verifyReceipt(read.body.receipt, { ...opts, audience: tv.id })).rejects.toThrow()
  })

  it('rejects a tampered payload (amount or status changed)', async () => {
    const { receipt, jwks, tv } = await paidReceipt()
    const opts = { jwks, issuer: env.JWT_ISSUER, audience: tv.id }
    await expect(
      verifyReceipt(
        tamper(receipt, (c) => (c.amount = 1)),
        opts,
      ),
    ).rejects.toThrow()
    await expect(
      verifyReceipt(
        tamper(receipt, (c) => (c.status = 'refunded')),
        opts,
      ),
    ).rejects.toThrow()
  })

  it('rejects a receipt signed by another key with the same kid', async () => {
    const { receipt, jwks, tv } = await paidReceipt()
    const header = JSON.parse(new TextDecoder().decode(base64url.decode(receipt.split('.')[0])))
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(receipt.split('.')[1])))
    const { privateKey } = await generateKeyPair('ES256')
    const forged = await new SignJWT(claims).setProtectedHeader(header).sign(privateKey)
    await expect(
      verifyReceipt(forged, { jwks, issuer: env.JWT_ISSUER, audience: tv.id }),
    ).rejects.toThrow()
    // ...and verification with a JWKS that lacks the signing key fails too.
    const { publicKey } = await generateKeyPair('ES256')
    const strangers = { keys: [{ ...(await exportJWK(publicKey)), kid: header.kid, alg: 'ES256' }] }
    await expect(
      verifyReceipt(receipt, { jwks: strangers, issuer: env.JWT_ISSUER, audience: tv.id }),
    ).rejects.toThrow()
  })

  it('rejects alg: none', async () => {
    const { receipt, jwks, tv } = await paidReceipt()
    const payload = receipt.split('.')[1]
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'tvpay-receipt+jwt' }))}.${payload}.`
    await expect(
      verifyReceipt(none, { jwks, issuer: env.JWT_ISSUER, audience: tv.id }),
    ).rejects.toThrow()
  })

  it('rejects a receipt meant for another TV or issuer', async () => {
    const { receipt, jwks, tv, user } = await paidReceipt()
    await expect(
      verifyReceipt(receipt, { jwks, issuer: env.JWT_ISSUER, audience: 'dev_other' }),
    ).rejects.toThrow()
    await expect(
      verifyReceipt(receipt, { jwks, issuer: 'https://evil.example', audience: tv.id }),
    ).rejects.toThrow()
    await expect(
      verifyReceipt(receipt, { jwks, issuer: env.JWT_ISSUER, audience: tv.id, paymentId: 'pay_x' }),
    ).rejects.toThrow()
    void user
  })

  it('an unconfirmed payment has no receipt', async () => {
    const { tv } = await household()
    const { payment } = await orderFromTv(tv.token)
    expect(payment.receipt).toBeUndefined()
  })
})
