import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { syncAlipayTrades } from '../../src/payments'
import { purposes } from '../../src/wiring'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { balanceOf, expectLedgerBalanced, transfersOf } from '../helpers/ledger'
import { ADDRESS, confirm, household, orderFromTv } from '../payments/helpers'
import { fault, sandbox } from './helpers'

// The whole 当面付 flow against the sandbox: RSA2 on both sides, signatures never mocked.

type Sandboxed = { notify: { body: string } }

async function tvOrder(price = 1234, balance = 0) {
  const h = await household({ balance })
  const { order, payment } = await orderFromTv(h.tv.token, { price })
  return { ...h, order, payment }
}

function startAlipay(token: string, paymentId: string) {
  return call('POST', `/v1/payments/${paymentId}/alipay`, { token })
}

async function postNotify(body: string) {
  const res = await SELF.fetch('https://tvpay.test/v1/providers/alipay/notify', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  })
  return { status: res.status, text: await res.text() }
}

/** The buyer scans and pays; the sandbox hands back the signed notify for the test to post. */
async function buyerPays(qrCode: string) {
  return (await sandbox<Sandboxed>('/sandbox/pay', { qr_code: qrCode, notify: 'none' })).notify
}

async function paymentOf(token: string, id: string) {
  return (await call('GET', `/v1/payments/${id}`, { token })).body
}

describe('Alipay face-to-face', () => {
  it('QR for the TV, the buyer pays, the signed notify settles the order once', async () => {
    const { tv, user, order, payment } = await tvOrder(1234)
    const first = await startAlipay(tv.token, payment.id)
    expect(first.status, first.text).toBe(201)
    expect(first.body).toMatchObject({ out_trade_no: payment.id })
    expect(first.body.qr_code).toContain('/qr/')
    const again = await startAlipay(tv.token, payment.id)
    expect(again.status).toBe(200)
    expect(again.body.qr_code).toBe(first.body.qr_code)
    const trade = await sandbox(`/sandbox/trades/${payment.id}`)
    expect(trade).toMatchObject({ total_amount: '12.34', trade_status: 'WAIT_BUYER_PAY' })

    const notify = await buyerPays(first.body.qr_code)
    expect(await postNotify(notify.body)).toEqual({ status: 200, text: 'success' })
    const paid = await paymentOf(tv.token, payment.id)
    expect(paid).toMatchObject({ status: 'succeeded' })
    expect(paid.receipt).toBeTruthy()
    const ord = await call('GET', `/v1/orders/${order.id}`, { token: user.token })
    expect(ord.body.order).toMatchObject({ status: 'paid', shipping_address: null })

    // The phone gives the address afterwards; only the user, only a pending or paid order.
    const put = (token: string, body: unknown, id = order.id) =>
      call('PUT', `/v1/orders/${id}/shipping-address`, { token, body })
    expectProblem(await put(tv.token, ADDRESS), 403, 'user_token_required')
    expectProblem(await put(user.token, { ...ADDRESS, postal_code: 'x' }), 400, 'validation_failed')
    expectProblem(await put((await household()).user.token, ADDRESS), 404, 'not_found')
    const addressed = await put(user.token, ADDRESS)
    expect(addressed.status, addressed.text).toBe(200)
    expect(addressed.body.order).toMatchObject({ status: 'paid', shipping_address: ADDRESS })

    // Alipay repeats a notify until it reads `success`: nothing moves twice.
    expect(await postNotify(notify.body)).toEqual({ status: 200, text: 'success' })
    const moves = await transfersOf(env.DB, payment.id)
    expect(moves.map((t) => [t.kind, t.debit_account_id, t.credit_account_id, t.amount])).toEqual([
      ['capture', 'provider:alipay:authorized', 'merchant:receivable', 1234],
      ['hold', 'provider:alipay', 'provider:alipay:authorized', 1234],
    ])
    // Once paid, the phone cannot pay it again.
    expectProblem(await confirm(user.token, payment.id), 409, 'payment_not_confirmable')
    await expectLedgerBalanced(env.DB)
  })

  it('refuses a bad signature, a wrong amount and an unknown out_trade_no with fail', async () => {
    const { tv, payment } = await tvOrder(500)
    const { qr_code } = (await startAlipay(tv.token, payment.id)).body
    const notify = await buyerPays(qr_code)
    const fields = new URLSearchParams(notify.body)
    const sign = fields.get('sign') as string
    fields.set('sign', `${sign[0] === 'A' ? 'B' : 'A'}${sign.slice(1)}`)
    expect(await postNotify(fields.toString())).toEqual({ status: 400, text: 'fail' })
    // Signed by the sandbox's (Alipay's) own key, but the fields do not match the trade.
    for (const overrides of [{ total_amount: '0.01' }, { out_trade_no: 'pay_unknown_trade' }]) {
      const forged = await sandbox('/sandbox/notify', { out_trade_no: payment.id, overrides })
      expect(await postNotify(forged.body)).toEqual({ status: 400, text: 'fail' })
    }
    // A field changed after signing fails too.
    const changed = new URLSearchParams(notify.body)
    changed.set('total_amount', '0.01')
    expect(await postNotify(changed.toString())).toEqual({ status: 400, text: 'fail' })
    expect((await paymentOf(tv.token, payment.id)).status).toBe('requires_confirmation')
    expect(await transfersOf(env.DB, payment.id)).toEqual([])
  })

  it('money paid after the payment expired is refunded at Alipay and booked in and out', async () => {
    const { tv, user, payment } = await tvOrder(880)
    const { qr_code } = (await startAlipay(tv.token, payment.id)).body
    const notify = await buyerPays(qr_code)
    await env.DB.prepare('UPDATE payments SET expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1000, payment.id)
      .run()
    const before = await balanceOf(env.DB, 'provider:alipay')
    expect(await postNotify(notify.body)).toEqual({ status: 200, text: 'success' })
    expect(await postNotify(notify.body)).toEqual({ status: 200, text: 'success' })
    expect((await paymentOf(tv.token, payment.id)).status).toBe('expired')
    const ended = await call('PUT', `/v1/orders/${payment.purpose.id}/shipping-address`, {
      token: user.token,
      body: ADDRESS,
    })
    expectProblem(ended, 409, 'conflict')
    const trade = await sandbox(`/sandbox/trades/${payment.id}`)
    expect(trade).toMatchObject({ refunded_amount: '8.80' })
    expect(trade.refunds).toHaveLength(1)
    const moves = await transfersOf(env.DB, payment.id)
    expect(moves.map((t) => [t.kind, t.amount])).toEqual([
      ['hold', 880],
      ['release', 880],
    ])
    expect(await balanceOf(env.DB, 'provider:alipay')).toBe(before)
    await expectLedgerBalanced(env.DB)
  })

  it('gateway down: 502 provider_error, the payment unchanged and confirmable on the phone', async () => {
    const { tv, user, payment } = await tvOrder(300, 1000)
    await fault(payment.id, 'http_500')
    expectProblem(await startAlipay(tv.token, payment.id), 502, 'provider_error')
    expect((await paymentOf(tv.token, payment.id)).status).toBe('requires_confirmation')
    const res = await confirm(user.token, payment.id)
    expect(res.status, res.text).toBe(200)
  })

  it('a deal (held) payment is 409 provider_unsupported; someone else gets 404', async () => {
    const { tv, payment } = await tvOrder(300)
    const other = await household()
    expectProblem(await startAlipay(other.tv.token, payment.id), 404, 'not_found')
    await env.DB.prepare(`UPDATE payments SET capture = 'manual' WHERE id = ?`)
      .bind(payment.id)
      .run()
    expectProblem(await startAlipay(tv.token, payment.id), 409, 'provider_unsupported')
  })

  it('the cron settles a payment whose notify never came, and closes ended trades', async () => {
    const paidOne = await tvOrder(450)
    const { qr_code } = (await startAlipay(paidOne.tv.token, paidOne.payment.id)).body
    await buyerPays(qr_code)
    const abandoned = await tvOrder(460)
    await startAlipay(abandoned.tv.token, abandoned.payment.id)
    await call('POST', `/v1/payments/${abandoned.payment.id}/cancel`, {
      token: abandoned.tv.token,
    })

    await syncAlipayTrades(env, purposes, Date.now())
    expect((await paymentOf(paidOne.tv.token, paidOne.payment.id)).status).toBe('succeeded')
    const closed = await env.DB.prepare('SELECT status FROM alipay_trades WHERE payment_id = ?')
      .bind(abandoned.payment.id)
      .first<{ status: string }>()
    expect(closed?.status).toBe('closed')
    expect((await sandbox(`/sandbox/trades/${abandoned.payment.id}`)).trade_status).toBe(
      'TRADE_CLOSED',
    )
    await expectLedgerBalanced(env.DB)
  })

  it('refunds in part then in full through alipay.trade.refund', async () => {
    const { tv, payment } = await tvOrder(1000)
    const { qr_code } = (await startAlipay(tv.token, payment.id)).body
    await postNotify((await buyerPays(qr_code)).body)
    const refund = (amount?: number) =>
      call('POST', `/v1/payments/${payment.id}/refund`, {
        headers: ADMIN,
        body: amount ? { amount: { amount, currency: 'CNY' } } : {},
      })
    const part = await refund(300)
    expect(part.status, part.text).toBe(200)
    expect(part.body).toMatchObject({
      status: 'partially_refunded',
      amount_refunded: { amount: 300 },
    })
    const rest = await refund()
    expect(rest.body).toMatchObject({ status: 'refunded', amount_refunded: { amount: 1000 } })
    const trade = await sandbox(`/sandbox/trades/${payment.id}`)
    expect(trade.refunds.map((r: { amount: string }) => r.amount)).toEqual(['3.00', '7.00'])
    await expectLedgerBalanced(env.DB)
  })

  it('a wallet confirm racing the notify ends with one charge; the loser is refunded', async () => {
    for (let i = 0; i < 3; i++) {
      const { tv, user, payment } = await tvOrder(700, 5000)
      const { qr_code } = (await startAlipay(tv.token, payment.id)).body
      const notify = await buyerPays(qr_code)
      const [phone, alipay] = await Promise.all([
        confirm(user.token, payment.id),
        postNotify(notify.body),
      ])
      expect(alipay).toEqual({ status: 200, text: 'success' })
      const final = await paymentOf(tv.token, payment.id)
      expect(final.status).toBe('succeeded')
      const wallet = (await call('GET', '/v1/me/wallet', { token: user.token })).body.balance
      const trade = await sandbox(`/sandbox/trades/${payment.id}`)
      if (phone.status === 200) {
        expect(wallet.amount).toBe(4300)
        expect(trade.refunded_amount).toBe('7.00')
      } else {
        expectProblem(phone, 409, 'payment_not_confirmable')
        expect(wallet.amount).toBe(5000)
        expect(trade.refunded_amount).toBe('0.00')
      }
      const captures = (await transfersOf(env.DB, payment.id)).filter((t) => t.kind === 'capture')
      expect(captures).toHaveLength(1)
    }
    await expectLedgerBalanced(env.DB)
  })
})
