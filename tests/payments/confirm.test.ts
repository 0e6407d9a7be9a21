import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { call, expectProblem } from '../helpers/http'
import { expectLedgerBalanced, transfersOf } from '../helpers/ledger'
import { createTestDevice, createTestUser } from '../helpers/principals'
import { ADDRESS, confirm, confirmBody, household, orderFromTv, PIN, stockOf } from './helpers'

describe('confirm: security', () => {
  it('refuses a device token with 403 user_token_required', async () => {
    const { tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token)
    expectProblem(await confirm(tv.token, payment.id), 403, 'user_token_required')
  })

  it("answers 404 for someone else's payment, the same as for an unknown one", async () => {
    const { tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token)
    const stranger = await household({ balance: 5000 })
    expectProblem(await confirm(stranger.user.token, payment.id), 404, 'not_found')
    expectProblem(await confirm(stranger.user.token, 'pay_does_not_exist'), 404, 'not_found')
    expectProblem(
      await call('GET', `/v1/payments/${payment.id}`, { token: stranger.tv.token }),
      404,
      'not_found',
    )
  })

  it('any paired TV of the same user reads the payment; a revoked one or a stranger does not', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token)
    const secondTv = await createTestDevice(user.id, { name: 'Bedroom TV' })
    const read = await call('GET', `/v1/payments/${payment.id}`, { token: secondTv.token })
    expect(read.status, read.text).toBe(200)
    expect(read.body).toMatchObject({ id: payment.id, status: 'requires_confirmation' })
    const waited = await call('GET', `/v1/payments/${payment.id}?wait=1`, { token: secondTv.token })
    expect(waited.status).toBe(200)
    // Reading is shared; cancelling stays with the starting TV or the phone.
    const cancel = await call('POST', `/v1/payments/${payment.id}/cancel`, {
      token: secondTv.token,
    })
    expectProblem(cancel, 404, 'not_found')

    await env.DB.prepare('UPDATE devices SET revoked_at = ? WHERE id = ?')
      .bind(Date.now(), secondTv.id)
      .run()
    expectProblem(
      await call('GET', `/v1/payments/${payment.id}`, { token: secondTv.token }),
      401,
      'invalid_token',
    )
    const stranger = await household()
    expectProblem(
      await call('GET', `/v1/payments/${payment.id}`, { token: stranger.tv.token }),
      404,
      'not_found',
    )
  })

  it('needs a token at all', async () => {
    const res = await call('POST', '/v1/payments/pay_x/confirm', { body: confirmBody() })
    expectProblem(res, 401, 'unauthorized')
  })

  it('refuses a body carrying a card number anywhere, without echoing it', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token)
    for (const body of [
      confirmBody({ payment_method: '4242 4242 4242 4242' }),
      confirmBody({ shipping_address: { ...ADDRESS, line1: 'card 4012-8888-8888-1881 please' } }),
      { ...confirmBody(), note: '378282246310005' },
    ]) {
      const res = await confirm(user.token, payment.id, body)
      expectProblem(res, 400, 'card_number_not_allowed')
      expect(res.text).not.toMatch(/4242|1881|310005/)
    }
    // A mainland phone number or an order id is not a card number.
    expect((await confirm(user.token, payment.id)).status).toBe(200)
  })
})

describe('confirm: PIN', () => {
  it('counts wrong PINs, locks at the 5th for 15 minutes, and resets on success', async () => {
    const { user, tv } = await household({ balance: 50_000 })
    const { payment } = await orderFromTv(tv.token)
    for (let remaining = 4; remaining >= 1; remaining--) {
      const body = expectProblem(
        await confirm(user.token, payment.id, confirmBody({ pin: '000000' })),
        403,
        'invalid_pin',
      )
      expect(body.attempts_remaining).toBe(remaining)
    }
    const locked = await confirm(user.token, payment.id, confirmBody({ pin: '000000' }))
    expectProblem(locked, 423, 'pin_locked')
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800)
    // Even the right PIN is refused while locked, and the payment is untouched.
    expectProblem(await confirm(user.token, payment.id), 423, 'pin_locked')
    expect((await call('GET', `/v1/payments/${payment.id}`, { token: tv.token })).body.status).toBe(
      'requires_confirmation',
    )

    // 15 minutes later: the lock is over, the count starts again, success resets it.
    await env.DB.prepare('UPDATE users SET pin_locked_until = ? WHERE id = ?')
      .bind(Date.now() - 1, user.id)
      .run()
    const again = expectProblem(
      await confirm(user.token, payment.id, confirmBody({ pin: '999999' })),
      403,
      'invalid_pin',
    )
    expect(again.attempts_remaining).toBe(4)
    expect((await confirm(user.token, payment.id)).status).toBe(200)
    const row = await env.DB.prepare(
      'SELECT pin_failed_attempts, pin_locked_until FROM users WHERE id = ?',
    )
      .bind(user.id)
      .first()
    expect(row).toEqual({ pin_failed_attempts: 0, pin_locked_until: null })
  })

  it('lets no more than 5 parallel guesses in', async () => {
    const { user, tv } = await household({ balance: 50_000 })
    const { payment } = await orderFromTv(tv.token)
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        confirm(user.token, payment.id, confirmBody({ pin: String(100000 + i) })),
      ),
    )
    const codes = results.map((r) => r.body.code)
    // Five attempts get checked: four wrong answers and the lock; the rest never reach the hash.
    expect(codes.filter((c) => c === 'invalid_pin')).toHaveLength(4)
    expect(codes.filter((c) => c === 'pin_locked').length).toBeGreaterThanOrEqual(1)
    expect(codes.every((c) => ['invalid_pin', 'pin_locked', 'rate_limited'].includes(c))).toBe(true)
    expectProblem(await confirm(user.token, payment.id), 423, 'pin_locked')
  })

  it('answers 409 pin_not_set when the person has no PIN yet', async () => {
    const user = await createTestUser()
    const { tv } = await household()
    // a payment of this user: start it from the user's own token
    const { payment } = await orderFromTv(user.token)
    expectProblem(await confirm(user.token, payment.id), 409, 'pin_not_set')
    void tv
  })
})

describe('confirm: money and state', () => {
  it('insufficient funds is 402 and the payment stays confirmable; a top-up then succeeds', async () => {
    const { user, tv } = await household({ balance: 999 })
    const { payment, productId } = await orderFromTv(tv.token, { price: 1000 })
    expectProblem(await confirm(user.token, payment.id), 402, 'insufficient_funds')
    expect(
      (await call('GET', `/v1/payments/${payment.id}`, { token: user.token })).body.status,
    ).toBe('requires_confirmation')
    expect(await transfersOf(env.DB, payment.id)).toEqual([])
    expect(await stockOf(productId)).toBe(9)
    await expectLedgerBalanced(env.DB)

    const { creditWallet } = await import('./helpers')
    await creditWallet(user.id, 1)
    const ok = await confirm(user.token, payment.id)
    expect(ok.status).toBe(200)
    expect((await call('GET', '/v1/me/wallet', { token: user.token })).body.balance.amount).toBe(0)
  })

  it('a second confirmation is 409 payment_not_confirmable and charges nothing more', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token)
    expect((await confirm(user.token, payment.id)).status).toBe(200)
    const again = expectProblem(
      await confirm(user.token, payment.id),
      409,
      'payment_not_confirmable',
    )
    expect(again.payment_status).toBe('succeeded')
    expect(await transfersOf(env.DB, payment.id)).toHaveLength(2)
  })

  it('an expired payment is 409 payment_expired, the order expires and its stock comes back', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment, order, productId } = await orderFromTv(tv.token, { quantity: 3 })
    expect(await stockOf(productId)).toBe(7)
    await env.DB.prepare('UPDATE payments SET expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1000, payment.id)
      .run()
    expectProblem(await confirm(user.token, payment.id), 409, 'payment_expired')
    expect(await stockOf(productId)).toBe(10)
    const read = await call('GET', `/v1/orders/${order.id}`, { token: tv.token })
    expect(read.body.order.status).toBe('expired')
    expect(read.body.payment.status).toBe('expired')
    expect((await call('GET', '/v1/me/wallet', { token: user.token })).body.balance.amount).toBe(
      5000,
    )
  })

  it('an order needs a valid shipping address; a bad one costs no PIN attempt', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token)
    expectProblem(
      await confirm(user.token, payment.id, { payment_method: 'wallet', pin: PIN }),
      400,
      'shipping_address_required',
    )
    const bad = await confirm(
      user.token,
      payment.id,
      confirmBody({ shipping_address: { ...ADDRESS, postal_code: '31' } }),
    )
    const body = expectProblem(bad, 400, 'validation_failed')
    expect(body.errors[0].path).toBe('shipping_address.postal_code')
    expectProblem(
      await confirm(user.token, payment.id, confirmBody({ extra: 1 })),
      400,
      'validation_failed',
    )
    const row = await env.DB.prepare('SELECT pin_failed_attempts FROM users WHERE id = ?')
      .bind(user.id)
      .first()
    expect(row).toEqual({ pin_failed_attempts: 0 })
  })

  it('an unknown payment method is 404 and nothing moves', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token)
    expectProblem(
      await confirm(user.token, payment.id, confirmBody({ payment_method: 'pm_nope' })),
      404,
      'not_found',
    )
    expect(await transfersOf(env.DB, payment.id)).toEqual([])
  })
})
