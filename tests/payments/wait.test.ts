import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { notifyPaymentChanged, waitForPaymentChange } from '../../src/payments/waits'
import { call, expectProblem } from '../helpers/http'
import { confirm, household, orderFromTv } from './helpers'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('GET /v1/payments/{id}?wait=N', () => {
  it('wakes the waiting TV as soon as the phone confirms', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    const started = Date.now()
    const waiting = call('GET', `/v1/payments/${payment.id}?wait=20`, { token: tv.token })
    await sleep(300)
    const confirmedAt = Date.now()
    expect((await confirm(user.token, payment.id)).status).toBe(200)
    const res = await waiting
    const woke = Date.now()
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('succeeded')
    expect(res.body.receipt).toBeTruthy()
    expect(woke - started).toBeLessThan(5000)
    console.log(
      JSON.stringify({ measure: 'wait_wake_after_confirm_started_ms', ms: woke - confirmedAt }),
    )
  })

  it('returns after N seconds with the unchanged payment', async () => {
    const { tv } = await household()
    const { payment } = await orderFromTv(tv.token)
    const started = Date.now()
    const res = await call('GET', `/v1/payments/${payment.id}?wait=1`, { token: tv.token })
    const took = Date.now() - started
    expect(res.body.status).toBe('requires_confirmation')
    expect(took).toBeGreaterThanOrEqual(950)
    expect(took).toBeLessThan(4000)
  })

  it('answers at once when the payment is final or not in the status the client saw', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    await confirm(user.token, payment.id)
    let started = Date.now()
    expect(
      (await call('GET', `/v1/payments/${payment.id}?wait=25`, { token: tv.token })).body.status,
    ).toBe('succeeded')
    expect(Date.now() - started).toBeLessThan(1000)

    const other = await orderFromTv(tv.token)
    started = Date.now()
    const res = await call(
      'GET',
      `/v1/payments/${other.payment.id}?wait=25&seen_status=requires_capture`,
      { token: tv.token },
    )
    expect(res.body.status).toBe('requires_confirmation')
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('wakes at expiry and reports the payment expired', async () => {
    const { tv } = await household()
    const { payment } = await orderFromTv(tv.token)
    await env.DB.prepare('UPDATE payments SET expires_at = ? WHERE id = ?')
      .bind(Date.now() + 500, payment.id)
      .run()
    const started = Date.now()
    const res = await call('GET', `/v1/payments/${payment.id}?wait=20`, { token: tv.token })
    expect(res.body.status).toBe('expired')
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('caps wait at 25 seconds and refuses more', async () => {
    const { tv } = await household()
    const { payment } = await orderFromTv(tv.token)
    expectProblem(
      await call('GET', `/v1/payments/${payment.id}?wait=26`, { token: tv.token }),
      400,
      'validation_failed',
    )
  })

  it('wakes every TV waiting on the payment', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    const waiters = Array.from({ length: 5 }, () =>
      call('GET', `/v1/payments/${payment.id}?wait=20`, { token: user.token }),
    )
    await sleep(200)
    const started = Date.now()
    await confirm(user.token, payment.id)
    const all = await Promise.all(waiters)
    expect(all.map((r) => r.body.status)).toEqual(Array(5).fill('succeeded'))
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('one object per user: a payment’s notify wakes only its own waiters; an early notify is kept', async () => {
    const userId = 'usr_waits_keyed'
    const a = { id: 'pay_waits_a', userId }
    const b = { id: 'pay_waits_b', userId }
    const started = Date.now()
    const onA = waitForPaymentChange(env, a, 1, 5000)
    const onB = waitForPaymentChange(env, b, 1, 1000)
    await sleep(100)
    await notifyPaymentChanged(env, a, 2)
    expect(await onA).toBe(true)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(await onB).toBe(false)
    // A notify that lands before the wait (between the waiter's read and its wait()).
    await notifyPaymentChanged(env, b, 3)
    expect(await waitForPaymentChange(env, b, 2, 5000)).toBe(true)
    expect(await waitForPaymentChange(env, b, 3, 200)).toBe(false)
    // Another user's object knows nothing of b.
    expect(await waitForPaymentChange(env, { id: b.id, userId: 'usr_other' }, 2, 200)).toBe(false)
  })
})
