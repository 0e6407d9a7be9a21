import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/http/errors'
import { capturePayment, releasePayment } from '../../src/payments/intents'
import { findPayment } from '../../src/payments/store'
import { TRANSITIONS, type PaymentStatus } from '../../src/payments/purposes'
import { transition } from '../../src/payments/transitions'
import { expireDuePayments } from '../../src/payments/expiry'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { balanceOf, expectLedgerBalanced, transfersOf } from '../helpers/ledger'
import { createTestDevice } from '../helpers/principals'
import {
  ADDRESS,
  confirm,
  confirmBody,
  household,
  orderFromTv,
  startBarePayment,
  stockOf,
} from './helpers'
import { purposes } from '../../src/wiring'

const ALL: PaymentStatus[] = [
  'requires_confirmation',
  'requires_capture',
  'succeeded',
  'canceled',
  'expired',
  'failed',
  'partially_refunded',
  'refunded',
]

/** A payment for a (nonexistent) order id, so the order purpose has nothing to update. */
async function rawPayment(userId: string, capture: 'automatic' | 'manual', amount = 500) {
  return startBarePayment(userId, amount, capture)
}

async function forceStatus(paymentId: string, status: PaymentStatus) {
  await env.DB.prepare('UPDATE payments SET status = ? WHERE id = ?').bind(status, paymentId).run()
  return (await findPayment(env.DB, paymentId))!
}

describe('the state table', () => {
  it('allows exactly the listed transitions, in code and in SQL', async () => {
    const { user } = await household()
    for (const from of ALL) {
      for (const to of ALL) {
        const allowed = TRANSITIONS[from].includes(to)
        const payment = await forceStatus(await rawPayment(user.id, 'manual'), from)
        const attempt = transition(env, purposes, payment, to, Date.now())
        if (allowed) {
          await expect(attempt, `${from} → ${to}`).resolves.toMatchObject({ status: to })
        } else {
          await expect(attempt, `${from} → ${to}`).rejects.toMatchObject({
            code: 'invalid_transition',
            status: 409,
          })
          // The CHECK on payment_transitions refuses it even when the code is bypassed.
          const sql = env.DB.prepare(
            'INSERT INTO payment_transitions (payment_id, version, from_status, to_status, at) VALUES (?, 99, ?, ?, 0)',
          ).bind(payment.id, from, to)
          await expect(sql.run(), `${from} → ${to} in SQL`).rejects.toThrow(
            /CHECK constraint failed/,
          )
          expect((await findPayment(env.DB, payment.id))!.status).toBe(from)
        }
      }
    }
  })

  it('a stale read cannot transition: the version guard aborts the batch', async () => {
    const { user } = await household()
    const stale = (await findPayment(env.DB, await rawPayment(user.id, 'automatic')))!
    await transition(env, purposes, stale, 'canceled', Date.now())
    await expect(transition(env, purposes, stale, 'expired', Date.now())).rejects.toThrow(
      /changed concurrently/,
    )
    expect((await findPayment(env.DB, stale.id))!.status).toBe('canceled')
  })
})

describe('manual capture: hold, capture, release', () => {
  it('confirm holds (available → held), capture moves held → merchant, a second capture is a no-op', async () => {
    const { user } = await household({ balance: 2000 })
    const id = await rawPayment(user.id, 'manual', 1200)
    const res = await confirm(user.token, id, confirmBody({ shipping_address: ADDRESS }))
    expect(res.body.payment.status).toBe('requires_capture')
    expect(res.body.receipt).toBeTruthy()
    expect((await call('GET', '/v1/me/wallet', { token: user.token })).body).toMatchObject({
      balance: { amount: 800 },
      held: { amount: 1200 },
    })
    const first = await capturePayment(env, purposes, id, Date.now())
    expect(first).toMatchObject({ changed: true, payment: { status: 'succeeded' } })
    const second = await capturePayment(env, purposes, id, Date.now())
    expect(second).toMatchObject({ changed: false, payment: { status: 'succeeded' } })
    expect((await transfersOf(env.DB, id)).map((t) => t.kind).sort()).toEqual(['capture', 'hold'])
    expect(await balanceOf(env.DB, `wallet:${user.id}:held`)).toBe(0)
    await expectLedgerBalanced(env.DB)
  })

  it('release gives the hold back; concurrent captures and releases settle exactly once', async () => {
    const { user } = await household({ balance: 3000 })
    const id = await rawPayment(user.id, 'manual', 1000)
    await confirm(user.token, id, confirmBody({ shipping_address: ADDRESS }))
    const results = await Promise.allSettled([
      releasePayment(env, purposes, id, Date.now()),
      releasePayment(env, purposes, id, Date.now()),
      capturePayment(env, purposes, id, Date.now()),
    ])
    const payment = (await findPayment(env.DB, id))!
    expect(['succeeded', 'canceled']).toContain(payment.status)
    const kinds = (await transfersOf(env.DB, id)).map((t) => t.kind).sort()
    expect(kinds).toEqual(
      payment.status === 'succeeded' ? ['capture', 'hold'] : ['hold', 'release'],
    )
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.changed)).toHaveLength(1)
    await expectLedgerBalanced(env.DB)
  })

  it('capture refuses a payment that was never confirmed', async () => {
    const { user } = await household()
    const id = await rawPayment(user.id, 'manual')
    await expect(capturePayment(env, purposes, id, Date.now())).rejects.toBeInstanceOf(ApiError)
    await expect(capturePayment(env, purposes, id, Date.now())).rejects.toMatchObject({
      code: 'invalid_transition',
    })
  })
})

describe('cancel', () => {
  it('the starting TV cancels; the order ends canceled and its stock comes back', async () => {
    const { user, tv } = await household()
    const { payment, order, productId } = await orderFromTv(tv.token, { quantity: 4 })
    expect(await stockOf(productId)).toBe(6)
    const otherTv = await createTestDevice(user.id)
    expectProblem(
      await call('POST', `/v1/payments/${payment.id}/cancel`, { token: otherTv.token }),
      404,
      'not_found',
    )
    const res = await call('POST', `/v1/payments/${payment.id}/cancel`, { token: tv.token })
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('canceled')
    expect(await stockOf(productId)).toBe(10)
    expect(
      (await call('GET', `/v1/orders/${order.id}`, { token: user.token })).body.order.status,
    ).toBe('canceled')
    // Again: still canceled, stock not given back twice.
    expect(
      (await call('POST', `/v1/payments/${payment.id}/cancel`, { token: user.token })).body.status,
    ).toBe('canceled')
    expect(await stockOf(productId)).toBe(10)
    expectProblem(await confirm(user.token, payment.id), 409, 'payment_not_confirmable')
  })

  it('the user cancels a held payment and the hold is released', async () => {
    const { user } = await household({ balance: 1000 })
    const id = await rawPayment(user.id, 'manual', 600)
    await confirm(user.token, id, confirmBody({ shipping_address: ADDRESS }))
    const res = await call('POST', `/v1/payments/${id}/cancel`, { token: user.token })
    expect(res.body.status).toBe('canceled')
    expect((await call('GET', '/v1/me/wallet', { token: user.token })).body).toMatchObject({
      balance: { amount: 1000 },
      held: { amount: 0 },
    })
    await expectLedgerBalanced(env.DB)
  })

  it('a succeeded payment cannot be canceled (refund it instead)', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token)
    await confirm(user.token, payment.id)
    expectProblem(
      await call('POST', `/v1/payments/${payment.id}/cancel`, { token: tv.token }),
      409,
      'invalid_transition',
    )
  })
})

describe('expiry', () => {
  it('the cron expires unconfirmed payments and releases their stock, once', async () => {
    const { tv } = await household()
    const { payment, order, productId } = await orderFromTv(tv.token, { quantity: 2 })
    expect(await stockOf(productId)).toBe(8)
    const later = Date.now() + 11 * 60_000
    const first = await expireDuePayments(env, purposes, later)
    expect(first.expired).toBeGreaterThanOrEqual(1)
    expect((await findPayment(env.DB, payment.id))!.status).toBe('expired')
    expect(await stockOf(productId)).toBe(10)
    await expireDuePayments(env, purposes, later)
    expect(await stockOf(productId)).toBe(10)
    const row = await env.DB.prepare('SELECT status FROM orders WHERE id = ?')
      .bind(order.id)
      .first()
    expect(row).toEqual({ status: 'expired' })
  })

  it('does not expire confirmed or held payments', async () => {
    const { user } = await household({ balance: 1000 })
    const id = await rawPayment(user.id, 'manual', 300)
    await confirm(user.token, id, confirmBody({ shipping_address: ADDRESS }))
    await expireDuePayments(env, purposes, Date.now() + 3600_000)
    expect((await findPayment(env.DB, id))!.status).toBe('requires_capture')
  })
})

describe('refunds (admin)', () => {
  it('refunds in part, then the rest, then refuses more', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token, { price: 3000 })
    await confirm(user.token, payment.id)
    const refund = (amount?: number) =>
      call('POST', `/v1/payments/${payment.id}/refund`, {
        headers: ADMIN,
        body: amount === undefined ? {} : { amount: { amount, currency: 'CNY' } },
      })
    expectProblem(await refund(3001), 409, 'refund_exceeds_amount')
    const part = await refund(1000)
    expect(part.body).toMatchObject({
      status: 'partially_refunded',
      amount_refunded: { amount: 1000 },
      refunded: { amount: 1000 },
    })
    expect(part.body.receipt).toBeTruthy()
    expect((await call('GET', '/v1/me/wallet', { token: user.token })).body.balance.amount).toBe(
      3000,
    )
    const more = await refund(500)
    expect(more.body).toMatchObject({
      status: 'partially_refunded',
      amount_refunded: { amount: 1500 },
    })
    const rest = await refund()
    expect(rest.body).toMatchObject({ status: 'refunded', amount_refunded: { amount: 3000 } })
    expect((await call('GET', '/v1/me/wallet', { token: user.token })).body.balance.amount).toBe(
      5000,
    )
    expectProblem(await refund(1), 409, 'refund_exceeds_amount')
    await expectLedgerBalanced(env.DB)
  })

  it('a refund retried with its Idempotency-Key refunds once', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token, { price: 2000 })
    await confirm(user.token, payment.id)
    const send = () =>
      call('POST', `/v1/payments/${payment.id}/refund`, {
        headers: { ...ADMIN, 'idempotency-key': `refund-${payment.id}` },
        body: { amount: { amount: 700, currency: 'CNY' } },
      })
    const first = await send()
    const second = await send()
    expect(second.text).toBe(first.text)
    expect(second.headers.get('idempotency-replayed')).toBe('true')
    expect((await findPayment(env.DB, payment.id))!.refundedAmount).toBe(700)
  })

  it('refuses unconfirmed payments, non-admins and zero amounts', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token)
    const url = `/v1/payments/${payment.id}/refund`
    expectProblem(await call('POST', url, { headers: ADMIN, body: {} }), 409, 'invalid_transition')
    expectProblem(await call('POST', url, { token: user.token, body: {} }), 401, 'unauthorized')
    expectProblem(
      await call('POST', url, { headers: ADMIN, body: { amount: { amount: 0, currency: 'CNY' } } }),
      400,
      'validation_failed',
    )
  })

  it('concurrent partial refunds never refund more than was paid', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token, { price: 1000 })
    await confirm(user.token, payment.id)
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        call('POST', `/v1/payments/${payment.id}/refund`, {
          headers: ADMIN,
          body: { amount: { amount: 400, currency: 'CNY' } },
        }),
      ),
    )
    const refunded = (await findPayment(env.DB, payment.id))!.refundedAmount
    expect(refunded).toBeLessThanOrEqual(1000)
    expect(refunded).toBe(results.filter((r) => r.status === 200).length * 400)
    await expectLedgerBalanced(env.DB)
  })
})

describe('admin credits', () => {
  it('credit from funding; unknown user 404; bad amounts 400; no admin token 401', async () => {
    const { user } = await household()
    const url = `/v1/admin/wallets/${user.id}/credits`
    const ok = await call('POST', url, {
      headers: ADMIN,
      body: { amount: { amount: 1000, currency: 'CNY' }, reason: 'welcome' },
    })
    expect(ok.status).toBe(201)
    expect(ok.body.wallet.balance).toEqual({ amount: 1000, currency: 'CNY' })
    expectProblem(
      await call('POST', '/v1/admin/wallets/usr_nobody/credits', {
        headers: ADMIN,
        body: { amount: { amount: 1, currency: 'CNY' }, reason: 'x' },
      }),
      404,
      'not_found',
    )
    for (const amount of [
      { amount: 0, currency: 'CNY' },
      { amount: 1.5, currency: 'CNY' },
      { amount: 1, currency: 'USD' },
      100,
    ]) {
      expectProblem(
        await call('POST', url, { headers: ADMIN, body: { amount, reason: 'x' } }),
        400,
        'validation_failed',
      )
    }
    expectProblem(
      await call('POST', url, {
        token: user.token,
        body: { amount: { amount: 1, currency: 'CNY' }, reason: 'x' },
      }),
      401,
      'unauthorized',
    )
    await expectLedgerBalanced(env.DB)
  })
})
