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
