import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { capturePayment } from '../../src/payments/intents'
import { looksLikeCardNumber } from '../../src/payments/card-numbers'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { balanceOf, expectLedgerBalanced, transfersOf } from '../helpers/ledger'
import {
  addCard,
  confirm,
  confirmBody,
  heldOnCard,
  household,
  orderFromTv,
  sandboxOps,
  stockOf,
} from './helpers'
import { purposes } from '../../src/wiring'

describe('card numbers are never accepted', () => {
  it('detects 13-19 digit Luhn-valid numbers with spaces or dashes, and nothing else', () => {
    for (const pan of [
      '4242424242424242',
      '4242 4242 4242 4242',
      '4012-8888-8888-1881',
      '378282246310005',
      '6212345678901265',
    ]) {
      expect(looksLikeCardNumber(`x ${pan} y`), pan).toBe(true)
    }
    for (const other of [
      '4242424242424241',
      '13800138000',
      '+86 138 0013 8000',
      '310012',
      '2026-11-24',
      '12345678901234567890123',
    ]) {
      expect(looksLikeCardNumber(other), other).toBe(false)
    }
  })

  it('POST /v1/me/payment-methods refuses a card number in any field and stores nothing', async () => {
    const { user } = await household()
    for (const body of [
      { provider: 'sandbox', token: '4242424242424242' },
      { provider: 'sandbox', token: 'tok_visa', number: '4242 4242 4242 4242' },
      { provider: 'sandbox', token: 'tok_visa', card: { pan: 4242424242424242 } },
    ]) {
      const res = await call('POST', '/v1/me/payment-methods', { token: user.token, body })
      expectProblem(res, 400, 'card_number_not_allowed')
    }
    const escaped = await call('POST', '/v1/me/payment-methods', {
      token: user.token,
      rawBody: '{"provider":"sandbox","token":"tok_visa","n":"\\u00342424242424242\\u0034\\u0032"}',
      headers: { 'content-type': 'application/json' },
    })
    expectProblem(escaped, 400, 'card_number_not_allowed')
    const { results } = await env.DB.prepare('SELECT * FROM payment_methods WHERE user_id = ?')
      .bind(user.id)
      .all()
    expect(results).toEqual([])
  })
})

describe('payment methods', () => {
  it('saves only token, brand, last4 and expiry; lists and deletes', async () => {
    const { user, tv } = await household()
    const id = await addCard(user.token, 'tok_visa')
    const list = await call('GET', '/v1/me/payment-methods', { token: user.token })
    expect(list.body.items).toEqual([
      expect.objectContaining({ id, provider: 'sandbox', brand: 'visa', last4: '4242' }),
    ])
    expect(JSON.stringify(list.body)).not.toContain('tok_visa')
    expectProblem(
      await call('GET', '/v1/me/payment-methods', { token: tv.token }),
      403,
      'user_token_required',
    )
    const other = await household()
    expectProblem(
      await call('DELETE', `/v1/me/payment-methods/${id}`, { token: other.user.token }),
      404,
      'not_found',
    )
    expect(
      (await call('DELETE', `/v1/me/payment-methods/${id}`, { token: user.token })).status,
    ).toBe(204)
    expect((await call('GET', '/v1/me/payment-methods', { token: user.token })).body.items).toEqual(
      [],
    )
  })

  it('refuses tokens the provider does not know', async () => {
    const { user } = await household()
    const res = await call('POST', '/v1/me/payment-methods', {
      token: user.token,
      body: { provider: 'sandbox', token: 'tok_nope' },
    })
    expectProblem(res, 400, 'validation_failed')
  })
})

describe('sandbox charges', () => {
  it('tok_visa pays an order: card money moves provider → authorized → merchant', async () => {
    const { user, tv } = await household()
    const pm = await addCard(user.token, 'tok_visa')
    const { payment } = await orderFromTv(tv.token, { price: 4321 })
    const res = await confirm(user.token, payment.id, confirmBody({ payment_method: pm }))
    expect(res.status, res.text).toBe(200)
    expect(res.body.payment).toMatchObject({ status: 'succeeded', payment_method: pm })
    expect(await sandboxOps(payment.id)).toEqual([
      { op: 'authorize', outcome: 'ok' },
      { op: 'capture', outcome: 'ok' },
    ])
    expect(await transfersOf(env.DB, payment.id)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'hold',
          debit_account_id: 'provider:sandbox',
          credit_account_id: 'provider:sandbox:authorized',
        }),
        expect.objectContaining({
          kind: 'capture',
          debit_account_id: 'provider:sandbox:authorized',
          credit_account_id: 'merchant:receivable',
        }),
      ]),
    )
    await expectLedgerBalanced(env.DB)
  })

  it('tok_declined is 402 payment_declined, nothing is written and the payment stays confirmable', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const declined = await addCard(user.token, 'tok_declined')
    const { payment, productId } = await orderFromTv(tv.token)
    expectProblem(
      await confirm(user.token, payment.id, confirmBody({ payment_method: declined })),
      402,
      'payment_declined',
    )
    expect(await transfersOf(env.DB, payment.id)).toEqual([])
    expect(await stockOf(productId)).toBe(9)
    const read = await call('GET', `/v1/payments/${payment.id}`, { token: tv.token })
    expect(read.body).toMatchObject({ status: 'requires_confirmation', payment_method: null })
    // The person picks another method and pays.
    expect((await confirm(user.token, payment.id, confirmBody())).status).toBe(200)
  })

  it('tok_timeout times out once and is retried with the same key: one authorization, one capture', async () => {
    const { user, tv } = await household()
    const pm = await addCard(user.token, 'tok_timeout')
    const { payment } = await orderFromTv(tv.token, { price: 1500 })
    const res = await confirm(user.token, payment.id, confirmBody({ payment_method: pm }))
    expect(res.status, res.text).toBe(200)
    expect(await sandboxOps(payment.id)).toEqual([
      { op: 'authorize', outcome: 'ok' },
      { op: 'capture', outcome: 'ok' },
    ])
    expect(await transfersOf(env.DB, payment.id)).toHaveLength(2)
    await expectLedgerBalanced(env.DB)
  })

  it('a gateway that never answers is 503 after the retries: nothing written, the key not kept, retry allowed', async () => {
    const { user, tv } = await household()
    const pm = await addCard(user.token, 'tok_unreachable')
    const { payment, productId } = await orderFromTv(tv.token)
    const key = `down-${payment.id}`
    expectProblem(
      await confirm(user.token, payment.id, confirmBody({ payment_method: pm }), key),
      503,
      'provider_unavailable',
    )
    expect(await transfersOf(env.DB, payment.id)).toEqual([])
    expect(await sandboxOps(payment.id)).toEqual([])
    expect(await stockOf(productId)).toBe(9)
    const read = await call('GET', `/v1/payments/${payment.id}`, { token: tv.token })
    expect(read.body).toMatchObject({ status: 'requires_confirmation', payment_method: null })
    const retry = await confirm(user.token, payment.id, confirmBody({ payment_method: pm }), key)
    expectProblem(retry, 503, 'provider_unavailable')
    expect(retry.headers.get('idempotency-replayed')).toBeNull()
  })

  it('10 concurrent card confirmations reach one authorization and one capture', async () => {
    const { user, tv } = await household()
    const pm = await addCard(user.token, 'tok_mastercard')
    const { payment } = await orderFromTv(tv.token, { price: 900 })
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        confirm(user.token, payment.id, confirmBody({ payment_method: pm }), `card-${i}`),
      ),
    )
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    expect((await sandboxOps(payment.id)).filter((o) => o.op !== 'void')).toEqual([
      { op: 'authorize', outcome: 'ok' },
      { op: 'capture', outcome: 'ok' },
    ])
    expect(await transfersOf(env.DB, payment.id)).toHaveLength(2)
  })

  it('two saved cards confirming at once: one charge, the other card given back, no 500', async () => {
    const { user, tv } = await household()
    const visa = await addCard(user.token, 'tok_visa')
    // tok_timeout answers its first authorization late, so that card is still charging when the
    // other one has captured: the moment two different cards met at one capture key.
    const slow = await addCard(user.token, 'tok_timeout')
    for (let round = 0; round < 3; round++) {
      const { payment } = await orderFromTv(tv.token, { price: 650 })
      const results = await Promise.all(
        [visa, slow, visa, slow].map((pm) =>
          confirm(user.token, payment.id, confirmBody({ payment_method: pm })),
        ),
      )
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409])
      for (const r of results.filter((x) => x.status !== 200)) {
        expectProblem(r, 409, 'payment_not_confirmable')
      }
      const won = results.find((r) => r.status === 200)!.body.payment
      const { results: auths } = await env.DB.prepare(
        `SELECT ref, (SELECT group_concat(op) FROM sandbox_operations o
                      WHERE o.ref = a.ref AND o.op <> 'authorize' AND o.outcome = 'ok') AS after
         FROM sandbox_operations a WHERE idempotency_key LIKE ? AND op = 'authorize'`,
      )
        .bind(`${payment.id}:%`)
        .all<{ ref: string; after: string | null }>()
      const stored = await env.DB.prepare('SELECT provider_ref FROM payments WHERE id = ?')
        .bind(won.id)
        .first<{ provider_ref: string }>()
      // The winner's authorization is captured and kept; every other one is voided or refunded.
      for (const a of auths) {
        const ops = (a.after ?? '').split(',').filter(Boolean)
        if (`sandbox:${a.ref}` === stored?.provider_ref) expect(ops).toEqual(['capture'])
        else
          expect(
            ops.some((op) => op === 'void' || op === 'refund'),
            a.ref,
          ).toBe(true)
      }
      expect(
        (await transfersOf(env.DB, payment.id)).filter((t) => t.kind === 'capture'),
      ).toHaveLength(1)
    }
    await expectLedgerBalanced(env.DB)
  })

  it('a held card whose capture is declined ends failed and the authorization is given back', async () => {
    const paymentId = await heldOnCard('tok_capture_declined', 800)
    expect(await balanceOf(env.DB, 'provider:sandbox:authorized')).toBeGreaterThanOrEqual(800)
    const before = await balanceOf(env.DB, 'provider:sandbox:authorized')
    const { payment, changed } = await capturePayment(env, purposes, paymentId, Date.now())
    expect(changed).toBe(true)
    expect(payment.status).toBe('failed')
    expect(await balanceOf(env.DB, 'provider:sandbox:authorized')).toBe(before - 800)
    expect((await sandboxOps(paymentId)).map((o) => `${o.op}:${o.outcome}`)).toEqual([
      'authorize:ok',
      'capture:declined',
      'void:ok',
    ])
    await expectLedgerBalanced(env.DB)
  })

  it('a card payment refunds back through the provider', async () => {
    const { user, tv } = await household()
    const pm = await addCard(user.token, 'tok_unionpay')
    const { payment } = await orderFromTv(tv.token, { price: 2000 })
    expect(
      (await confirm(user.token, payment.id, confirmBody({ payment_method: pm }))).status,
    ).toBe(200)
    const res = await call('POST', `/v1/payments/${payment.id}/refund`, {
      headers: ADMIN,
      body: { amount: { amount: 500, currency: 'CNY' } },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({
      status: 'partially_refunded',
      amount_refunded: { amount: 500 },
    })
    expect((await sandboxOps(payment.id)).map((o) => o.op)).toContain('refund')
    await expectLedgerBalanced(env.DB)
  })
})
