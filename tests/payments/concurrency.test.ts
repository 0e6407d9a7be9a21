import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { call } from '../helpers/http'
import { balanceOf, expectLedgerBalanced, transfersOf } from '../helpers/ledger'
import { confirm, confirmBody, household, orderFromTv } from './helpers'

describe('concurrent confirmations', () => {
  it('10 confirmations of one payment with different idempotency keys charge exactly once', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token, { price: 3000 })
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        confirm(user.token, payment.id, confirmBody(), `race-${payment.id}-${i}`),
      ),
    )
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    // The others see it confirmed, or (PIN attempts all in flight) are told to retry.
    for (const r of results.filter((r) => r.status !== 200)) {
      expect(['payment_not_confirmable', 'rate_limited']).toContain(r.body.code)
    }
    expect(await transfersOf(env.DB, payment.id)).toHaveLength(2)
    expect(await balanceOf(env.DB, `wallet:${user.id}:available`)).toBe(7000)
    expect(await balanceOf(env.DB, 'merchant:receivable')).toBeGreaterThanOrEqual(3000)
    await expectLedgerBalanced(env.DB)
  })

  it('two payments racing for a balance that covers one: one succeeds, one is 402 and stays confirmable', async () => {
    const { user, tv } = await household({ balance: 1500 })
    const a = await orderFromTv(tv.token, { price: 1000 })
    const b = await orderFromTv(tv.token, { price: 1000 })
    const [ra, rb] = await Promise.all([
      confirm(user.token, a.payment.id),
      confirm(user.token, b.payment.id),
    ])
    expect([ra.status, rb.status].sort()).toEqual([200, 402])
    const loser = ra.status === 402 ? a : b
    expect([ra, rb].find((r) => r.status === 402)!.body.code).toBe('insufficient_funds')
    const read = await call('GET', `/v1/payments/${loser.payment.id}`, { token: tv.token })
    expect(read.body.status).toBe('requires_confirmation')
    expect(await balanceOf(env.DB, `wallet:${user.id}:available`)).toBe(500)
    await expectLedgerBalanced(env.DB)
  })

  it('a duplicate sent while the first is still running is 409 idempotency_in_progress, never a replay', async () => {
    const { user, tv } = await household()
    const card = await call('POST', '/v1/me/payment-methods', {
      token: user.token,
      body: { provider: 'sandbox', token: 'tok_timeout' },
    })
    const { payment } = await orderFromTv(tv.token)
    const key = `inflight-dup-${payment.id}`
    const body = confirmBody({ payment_method: card.body.id })
    // tok_timeout loses the gateway's first answer and retries after 50 ms: the first request is
    // held mid-flight, its claim written and no response stored yet.
    const first = confirm(user.token, payment.id, body, key)
    const claimed = () =>
      env.DB.prepare('SELECT response_status FROM idempotency_keys WHERE key = ?')
        .bind(key)
        .first<{ response_status: number | null }>()
    let row = await claimed()
    for (let i = 0; i < 500 && !row; i++) {
      await new Promise((r) => setTimeout(r, 5))
      row = await claimed()
    }
    expect(row).toEqual({ response_status: null })
    const duplicate = await confirm(user.token, payment.id, body, key)
    expect(duplicate.status, duplicate.text).toBe(409)
    expect(duplicate.body.code).toBe('idempotency_in_progress')
    expect(duplicate.headers.get('retry-after')).toBe('1')
    expect(duplicate.headers.get('idempotency-replayed')).toBeNull()
    const done = await first
    expect(done.status, done.text).toBe(200)
    const after = await confirm(user.token, payment.id, body, key)
    expect(after.headers.get('idempotency-replayed')).toBe('true')
    expect(after.text).toBe(done.text)
  })

  it('the same key sent concurrently runs once: the others replay it or get 409 idempotency_in_progress', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    const key = `same-${payment.id}`
    const results = await Promise.all(
      Array.from({ length: 5 }, () => confirm(user.token, payment.id, confirmBody(), key)),
    )
    const fresh = results.filter((r) => r.status === 200 && !r.headers.get('idempotency-replayed'))
    expect(fresh).toHaveLength(1)
    for (const r of results) {
      if (r === fresh[0]) continue
      if (r.status === 409) expect(r.body.code).toBe('idempotency_in_progress')
      else expect(r.headers.get('idempotency-replayed')).toBe('true')
    }
    expect(await transfersOf(env.DB, payment.id)).toHaveLength(2)
  })
})
