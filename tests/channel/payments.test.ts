import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { runScheduled } from '../../src/cron'
import { verifyReceipt } from '../../src/payments/receipt-verify'
import { accountNumber, billLine, createBiller, feedBill, link, useFeedKey } from '../bills/helpers'
import { createDeal, endDeal, joined } from '../deals/helpers'
import { ADMIN, call } from '../helpers/http'
import { createTestDevice } from '../helpers/principals'
import { confirm, confirmBody, household, orderFromTv } from '../payments/helpers'
import { closeAll, join, type Frame, type Peer } from './helpers'

beforeAll(useFeedKey)

const MONEY = ['payment.requested', 'payment.updated']

/** A household with money, its TV and phone connected, a second TV connected too. */
async function connected(balance = 1_000_000) {
  const { user, tv } = await household({ balance })
  const other = await createTestDevice(user.id, { name: 'Bedroom' })
  const peers = {
    tv: await join(tv.token),
    otherTv: await join(other.token),
    phone: await join(user.token),
  }
  for (const p of Object.values(peers)) p.drain()
  return { user, tvDevice: tv, ...peers }
}

const updated = (peer: Peer, id: string, status: string) =>
  peer.next('payment.updated', (f) => f.payment.id === id && f.payment.status === status)

async function receiptFor(frame: Frame, audience: string) {
  const jwks = (await call('GET', '/.well-known/jwks.json')).body
  return verifyReceipt(frame.payment.receipt, { jwks, issuer: env.JWT_ISSUER, audience })
}

describe('household channel: payments pushed, not polled', () => {
  it('a TV order reaches the phones at once; the confirmation reaches the TV with its receipt', async () => {
    const h = await connected()
    const stranger = await connected()
    const { payment } = await orderFromTv(h.tvDevice.token, { price: 2500 })

    const requested = await h.phone.next('payment.requested')
    const asPhoneReadsIt = await call('GET', `/v1/payments/${payment.id}`, { token: h.user.token })
    expect(requested.payment).toEqual(asPhoneReadsIt.body)
    expect(requested.payment).toMatchObject({ status: 'requires_confirmation' })
    expect(await h.tv.queued(['payment.requested'])).toEqual([])

    const confirmed = await confirm(h.user.token, payment.id)
    expect(confirmed.status, confirmed.text).toBe(200)
    const onTv = await updated(h.tv, payment.id, 'succeeded')
    const onPhone = await updated(h.phone, payment.id, 'succeeded')
    expect(onTv.payment).toEqual(onPhone.payment)
    const asTvReadsIt = await call('GET', `/v1/payments/${payment.id}`, { token: h.tvDevice.token })
    const { receipt: _pushed, ...pushedRest } = onTv.payment
    const { receipt: _read, ...readRest } = asTvReadsIt.body
    expect(pushedRest).toEqual(readRest)
    // The TV verifies the pushed receipt offline, as its own.
    expect(await receiptFor(onTv, h.tvDevice.id)).toMatchObject({
      payment_id: payment.id,
      amount: 2500,
      status: 'succeeded',
    })

    // Only the starting TV and the phones; never another household.
    expect(await h.otherTv.queued(MONEY)).toEqual([])
    for (const p of [stranger.tv, stranger.otherTv, stranger.phone]) {
      expect(await p.queued(MONEY, 50)).toEqual([])
    }
    await closeAll(h.tv, h.otherTv, h.phone, stranger.tv, stranger.otherTv, stranger.phone)
  })

  it('every later status is pushed: refunded (twice), canceled, expired', async () => {
    const h = await connected()
    const first = (await orderFromTv(h.tvDevice.token, { price: 1000 })).payment
    expect((await confirm(h.user.token, first.id)).status).toBe(200)
    await updated(h.tv, first.id, 'succeeded')
    for (const [amount, refunded] of [
      [100, 100],
      [200, 300],
    ]) {
      const res = await call('POST', `/v1/payments/${first.id}/refund`, {
        headers: ADMIN,
        body: { amount: { amount, currency: 'CNY' } },
      })
      expect(res.status, res.text).toBe(200)
      for (const peer of [h.tv, h.phone]) {
        const frame = await peer.next(
          'payment.updated',
          (f) => f.payment.id === first.id && f.payment.refunded.amount === refunded,
        )
        expect(frame.payment.status).toBe(res.body.status)
      }
    }

    const second = (await orderFromTv(h.tvDevice.token)).payment
    const cancel = await call('POST', `/v1/payments/${second.id}/cancel`, {
      token: h.tvDevice.token,
    })
    expect(cancel.status, cancel.text).toBe(200)
    await updated(h.tv, second.id, 'canceled')
    await updated(h.phone, second.id, 'canceled')

    const third = (await orderFromTv(h.tvDevice.token)).payment
    await env.DB.prepare('UPDATE payments SET expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1000, third.id)
      .run()
    await runScheduled(env, Date.now())
    await updated(h.tv, third.id, 'expired')
    await updated(h.phone, third.id, 'expired')
    expect(await h.otherTv.queued(['payment.updated'])).toEqual([])
    await closeAll(h.tv, h.otherTv, h.phone)
  })

  it('a deal join: requested, then held (requires_capture), then captured by the settlement', async () => {
    const h = await connected()
    const deal = await createDeal({ minGroupSize: 1, price: 1500 })
    const { payment } = await joined(h.tvDevice.token, deal.id)
    expect((await h.phone.next('payment.requested')).payment.id).toBe(payment.id)
    expect((await confirm(h.user.token, payment.id, confirmBody())).status).toBe(200)
    const held = await updated(h.tv, payment.id, 'requires_capture')
    expect(await receiptFor(held, h.tvDevice.id)).toMatchObject({ status: 'requires_capture' })
    await updated(h.phone, payment.id, 'requires_capture')

    await endDeal(deal.id)
    await runScheduled(env, Date.now())
    await updated(h.tv, payment.id, 'succeeded')
    await updated(h.phone, payment.id, 'succeeded')
    await closeAll(h.tv, h.otherTv, h.phone)
  })

  it('a card whose capture is declined: failed is pushed too', async () => {
    const h = await connected(0)
    const method = await call('POST', '/v1/me/payment-methods', {
      token: h.user.token,
      body: { provider: 'sandbox', token: 'tok_capture_declined' },
    })
    expect(method.status, method.text).toBe(201)
    const deal = await createDeal({ minGroupSize: 1 })
    const { payment } = await joined(h.tvDevice.token, deal.id)
    const paid = await confirm(
      h.user.token,
      payment.id,
      confirmBody({ payment_method: method.body.id }),
    )
    expect(paid.status, paid.text).toBe(200)
    await updated(h.tv, payment.id, 'requires_capture')
    await endDeal(deal.id)
    await runScheduled(env, Date.now())
    await updated(h.tv, payment.id, 'failed')
    await updated(h.phone, payment.id, 'failed')
    await closeAll(h.tv, h.otherTv, h.phone)
  })

  it('a bill payment started on the TV is requested on the phone', async () => {
    const h = await connected()
    const { biller, secret } = await createBiller()
    const number = accountNumber()
    await link(h.user.token, biller.id, number)
    const billId = await feedBill(biller.id, secret, billLine(number))
    const started = await call('POST', `/v1/bills/${billId}/pay`, {
      token: h.tvDevice.token,
      body: {},
    })
    expect(started.status, started.text).toBe(201)
    const requested = await h.phone.next('payment.requested')
    expect(requested.payment).toMatchObject({
      id: started.body.payment.id,
      purpose: { type: 'bill', id: billId },
    })
    await closeAll(h.tv, h.otherTv, h.phone)
  })

  it('a payment the phone started itself is not "requested"; its updates reach the phones only', async () => {
    const h = await connected()
    const deal = await createDeal({ minGroupSize: 1 })
    const { payment } = await joined(h.user.token, deal.id)
    expect((await confirm(h.user.token, payment.id, confirmBody())).status).toBe(200)
    const held = await updated(h.phone, payment.id, 'requires_capture')
    expect(await receiptFor(held, h.user.id)).toMatchObject({ status: 'requires_capture' })
    expect(await h.phone.queued(['payment.requested'])).toEqual([])
    expect(await h.tv.queued(MONEY)).toEqual([])
    await closeAll(h.tv, h.otherTv, h.phone)
  })
})
