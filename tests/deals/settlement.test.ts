import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { runScheduled } from '../../src/cron'
import { settleDeals } from '../../src/deals/settlement'
import { accounts } from '../../src/payments'
import { call, expectProblem } from '../helpers/http'
import { balanceOf, expectLedgerBalanced, transfersOf } from '../helpers/ledger'
import { PIN } from '../payments/helpers'
import {
  admin,
  confirm,
  createDeal,
  dealRow,
  endDeal,
  household,
  joined,
  participationRow,
  paymentStatus,
  sql,
  settledAs,
  wallet,
  withBatch,
} from './helpers'
import { purposes } from '../../src/wiring'

afterEach(async () => {
  await expectLedgerBalanced(env.DB)
})

type Member = Awaited<ReturnType<typeof household>> & { participation: any; payment: any }

type MemberOptions = { quantity?: number; confirmed?: boolean; balance?: number }

/** `n` households that each join from their TV with `quantity` units and confirm on the phone. */
async function members(dealId: string, n: number, opts: MemberOptions = {}) {
  const out: Member[] = []
  for (let i = 0; i < n; i++) {
    const h = await household({ balance: opts.balance ?? 100_000 })
    const j = await joined(h.tv.token, dealId, { quantity: opts.quantity ?? 1 })
    if (opts.confirmed !== false) {
      const res = await confirm(h.user.token, j.payment.id)
      expect(res.status, res.text).toBe(200)
      expect(res.body.payment.status).toBe('requires_capture')
    }
    out.push({ ...h, ...j })
  }
  return out
}

async function captureCount(paymentId: string) {
  return (await transfersOf(env.DB, paymentId)).filter((t) => t.kind === 'capture').length
}

async function ordersFor(dealId: string) {
  const { results } = await env.DB.prepare(
    `SELECT o.*, i.product_id, i.unit_price, i.quantity, i.title FROM orders o
     JOIN order_items i ON i.order_id = o.id
     WHERE o.id IN (SELECT order_id FROM deal_participations WHERE deal_id = ?)`,
  )
    .bind(dealId)
    .all<any>()
  return results
}

describe('tipping', () => {
  it('tips at exactly min_group_size; every hold is captured into a paid order', async () => {
    const deal = await createDeal({ price: 1200, minGroupSize: 3, stock: 10 })
    const [a, b] = await members(deal.id, 2)
    expect(await dealRow(deal.id)).toMatchObject({ participants: 2, tipped_at: null, reserved: 2 })
    const view = async () => (await call('GET', `/v1/deals/${deal.id}`)).body
    expect(await view()).toMatchObject({ status: 'active', participants: 2 })
    expect(await wallet(a!.user.id)).toEqual({ balance: 100_000 - 1200, held: 1200 })
    await settleDeals(env, purposes, Date.now())
    expect(await paymentStatus(a!.payment.id)).toBe('requires_capture')

    const [c] = await members(deal.id, 1)
    const tipped = await dealRow(deal.id)
    expect(tipped.participants).toBe(3)
    expect(tipped.tipped_at).not.toBeNull()
    expect((await view()).status).toBe('tipped')
    // The confirmation that tipped the deal enqueued it: the queue captures every hold.
    await settledAs(
      'succeeded',
      [a!, b!, c!].map((m) => m.payment.id),
    )
    for (const m of [a!, b!, c!]) {
      expect(await paymentStatus(m.payment.id)).toBe('succeeded')
      expect(await captureCount(m.payment.id)).toBe(1)
      expect(await wallet(m.user.id)).toEqual({ balance: 100_000 - 1200, held: 0 })
      expect(await participationRow(m.participation.id)).toMatchObject({ status: 'paid' })
    }
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, sold: 3, participants: 3 })

    const orders = await ordersFor(deal.id)
    expect(orders).toHaveLength(3)
    for (const o of orders) {
      expect(o).toMatchObject({ status: 'paid', total: 1200, unit_price: 1200, quantity: 1 })
      expect(o.product_id).toBe(deal.product.id)
      expect(JSON.parse(o.shipping_address).city).toBe('杭州市')
    }
    const orderId = orders.find((o) => o.user_id === a!.user.id).id
    const order = await call('GET', `/v1/orders/${orderId}`, { token: a!.user.token })
    expect(order.status, order.text).toBe(200)
    expect(order.body.order).toMatchObject({ status: 'paid', total: { amount: 1200 } })
    const purpose = { type: 'deal', id: a!.participation.id }
    expect(order.body.payment).toMatchObject({ status: 'succeeded', purpose })

    // A later join is captured as soon as it is confirmed (its capture enqueued).
    const [late] = await members(deal.id, 1, { quantity: 2 })
    await settledAs('succeeded', [late!.payment.id])
    expect(await wallet(late!.user.id)).toEqual({ balance: 100_000 - 2400, held: 0 })
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, sold: 5, participants: 4 })
  })

  it('one short of the threshold does not tip; unconfirmed joins do not count', async () => {
    const deal = await createDeal({ minGroupSize: 3 })
    const held = await members(deal.id, 2)
    await members(deal.id, 3, { confirmed: false })
    expect(await dealRow(deal.id)).toMatchObject({ participants: 2, tipped_at: null, reserved: 5 })
    await settleDeals(env, purposes, Date.now())
    for (const m of held) expect(await paymentStatus(m.payment.id)).toBe('requires_capture')
  })

  it('a confirmed hold canceled before tipping stops counting', async () => {
    const deal = await createDeal({ minGroupSize: 2 })
    const [a] = await members(deal.id, 1)
    const cancelPath = `/v1/payments/${a!.payment.id}/cancel`
    const cancel = await call('POST', cancelPath, { token: a!.user.token })
    expect(cancel.status, cancel.text).toBe(200)
    expect(await dealRow(deal.id)).toMatchObject({ participants: 0, reserved: 0 })
    expect(await wallet(a!.user.id)).toEqual({ balance: 100_000, held: 0 })
    await members(deal.id, 1)
    expect((await dealRow(deal.id)).tipped_at).toBeNull()
  })
})

describe('the window closes', () => {
  it('below the threshold: the deal fails and every hold is released to the cent', async () => {
    const deal = await createDeal({ price: 1999, minGroupSize: 10, stock: 50, maxPerUser: 3 })
    const held = [
      ...(await members(deal.id, 1, { quantity: 1, balance: 5000 })),
      ...(await members(deal.id, 2, { quantity: 3, balance: 7777 })),
    ]
    const [pending] = await members(deal.id, 1, { confirmed: false, quantity: 2 })
    expect(await wallet(held[1]!.user.id)).toEqual({ balance: 7777 - 5997, held: 5997 })
    const merchantBefore = await balanceOf(env.DB, accounts.merchant().id)

    await endDeal(deal.id)
    expect((await call('GET', `/v1/deals/${deal.id}`)).body.status).toBe('failed')
    const report = await settleDeals(env, purposes, Date.now())
    expect(report).toMatchObject({ closed: 1, captured: 0, released: 4, settled: 1, errors: 0 })

    expect(await wallet(held[0]!.user.id)).toEqual({ balance: 5000, held: 0 })
    for (const m of held.slice(1)) {
      expect(await wallet(m.user.id)).toEqual({ balance: 7777, held: 0 })
    }
    for (const m of held) {
      expect(await paymentStatus(m.payment.id)).toBe('canceled')
      expect(await participationRow(m.participation.id)).toMatchObject({ status: 'released' })
      const kinds = (await transfersOf(env.DB, m.payment.id)).map((t) => t.kind).sort()
      expect(kinds).toEqual(['hold', 'release'])
    }
    expect(await paymentStatus(pending!.payment.id)).toBe('canceled')
    expect(await balanceOf(env.DB, accounts.merchant().id)).toBe(merchantBefore)
    const failed = { phase: 'failed', reserved: 0, sold: 0, participants: 0 }
    expect(await dealRow(deal.id)).toMatchObject(failed)
    expect((await dealRow(deal.id)).settled_at).not.toBeNull()
    expect(await ordersFor(deal.id)).toEqual([])
    const view = (await call('GET', `/v1/deals/${deal.id}`)).body
    expect(view).toMatchObject({ status: 'failed', stock_remaining: 50 })
  })

  it('after tipping: succeeds, holds captured, places never confirmed canceled', async () => {
    const deal = await createDeal({ minGroupSize: 2 })
    const confirmed = await members(deal.id, 2)
    const [pending] = await members(deal.id, 1, { confirmed: false })
    await endDeal(deal.id)
    // Too late to confirm now: the purpose refuses before any money moves.
    const late = await confirm(pending!.user.token, pending!.payment.id)
    expectProblem(late, 409, 'deal_not_active')
    expect(await wallet(pending!.user.id)).toEqual({ balance: 100_000, held: 0 })

    await settleDeals(env, purposes, Date.now())
    expect(await dealRow(deal.id)).toMatchObject({ phase: 'succeeded', reserved: 0, sold: 2 })
    expect((await dealRow(deal.id)).settled_at).not.toBeNull()
    for (const m of confirmed) expect(await paymentStatus(m.payment.id)).toBe('succeeded')
    expect(await paymentStatus(pending!.payment.id)).toBe('canceled')
    expect((await call('GET', `/v1/deals/${deal.id}`)).body.status).toBe('succeeded')
  })

  it('runs from the cron trigger', async () => {
    const deal = await createDeal({ minGroupSize: 5 })
    const [m] = await members(deal.id, 1)
    await endDeal(deal.id)
    const results = (await runScheduled(env, Date.now())) as Record<string, any>
    // The cron decides and finds work; the queue moves the money.
    const counts = { closed: expect.any(Number), deals_enqueued: expect.any(Number) }
    expect(results['deals.settlement']).toMatchObject(counts)
    expect(results['deals.settlement'].deals_enqueued).toBeGreaterThanOrEqual(1)
    await settledAs('canceled', [m!.payment.id])
    expect(await wallet(m!.user.id)).toEqual({ balance: 100_000, held: 0 })
  })
})

describe('races and refunds', () => {
  it('a confirmation landing after the cron failed the deal cannot tip it', async () => {
    const { confirmPayment } = await import('../../src/payments')
    const deal = await createDeal({ minGroupSize: 1 })
    const [m] = await members(deal.id, 1, { confirmed: false })
    // The cron closes the deal between the purpose's check and the confirmation's batch.
    const racing = withBatch(env, (batch) => async (statements) => {
      await sql(`UPDATE deals SET phase = 'failed' WHERE id = ?`, deal.id)
      return batch(statements)
    })
    const confirmed = await confirmPayment(racing, purposes, {
      userId: m!.user.id,
      paymentId: m!.payment.id,
      paymentMethod: 'wallet',
      pin: PIN,
      now: Date.now(),
    })
    expect(confirmed.status).toBe('requires_capture')
    const untipped = { phase: 'failed', tipped_at: null, participants: 1 }
    expect(await dealRow(deal.id)).toMatchObject(untipped)
    await settleDeals(env, purposes, Date.now())
    expect(await paymentStatus(m!.payment.id)).toBe('canceled')
    expect(await wallet(m!.user.id)).toEqual({ balance: 100_000, held: 0 })
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, participants: 0 })
  })

  it('an admin refund of a captured place marks it refunded and gives the money back', async () => {
    const deal = await createDeal({ price: 1500, minGroupSize: 1 })
    const [m] = await members(deal.id, 1)
    await settledAs('succeeded', [m!.payment.id])
    const res = await admin('POST', `/v1/payments/${m!.payment.id}/refund`, {})
    expect(res.status, res.text).toBe(200)
    expect(await participationRow(m!.participation.id)).toMatchObject({ status: 'refunded' })
    expect(await wallet(m!.user.id)).toEqual({ balance: 100_000, held: 0 })
  })
})

describe('settlement is idempotent, resumable and chunked', () => {
  it('two overlapping runs racing the queue capture every hold exactly once', async () => {
    const deal = await createDeal({ minGroupSize: 6, stock: 20 })
    const all = await members(deal.id, 6)
    // The 6th confirmation tipped the deal and enqueued it; two direct runs race the consumer.
    await Promise.all([
      settleDeals(env, purposes, Date.now()),
      settleDeals(env, purposes, Date.now()),
    ])
    await settledAs(
      'succeeded',
      all.map((m) => m.payment.id),
    )
    await settleDeals(env, purposes, Date.now())
    for (const m of all) expect(await captureCount(m.payment.id)).toBe(1)
    expect(await ordersFor(deal.id)).toHaveLength(6)
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, sold: 6 })
  })

  it('a run that dies half way loses nothing; the next finishes, nothing twice', async () => {
    const deal = await createDeal({ minGroupSize: 5, stock: 20 })
    const all = await members(deal.id, 4)
    await endDeal(deal.id)
    // The third payment batch of this run fails (the isolate "crashes" mid-settlement).
    let batches = 0
    const crashing = withBatch(env, (batch) => async (statements) => {
      if (++batches === 3) throw new Error('isolate went away')
      return batch(statements)
    })
    const first = await settleDeals(crashing, purposes, Date.now())
    expect(first.errors).toBeGreaterThanOrEqual(1)
    const releasedSoFar = first.released
    expect(releasedSoFar).toBeLessThan(4)

    const second = await settleDeals(env, purposes, Date.now())
    expect(releasedSoFar + second.released).toBe(4)
    for (const m of all) {
      expect(await paymentStatus(m.payment.id)).toBe('canceled')
      const releases = (await transfersOf(env.DB, m.payment.id)).filter((t) => t.kind === 'release')
      expect(releases).toHaveLength(1)
      expect(await wallet(m.user.id)).toEqual({ balance: 100_000, held: 0 })
    }
    expect(await dealRow(deal.id)).toMatchObject({ phase: 'failed', reserved: 0 })
  })

  it('a large deal settles a bounded slice per tick, marked settled only when done', async () => {
    const deal = await createDeal({ minGroupSize: 50, stock: 20 })
    await members(deal.id, 7)
    await endDeal(deal.id)
    const ticks = []
    for (let i = 0; i < 4; i++) ticks.push(await settleDeals(env, purposes, Date.now(), 3))
    expect(ticks.map((t) => t.released)).toEqual([3, 3, 1, 0])
    expect(ticks.map((t) => t.settled)).toEqual([0, 0, 1, 0])
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, participants: 0 })
  })
})
