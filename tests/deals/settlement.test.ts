import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { runScheduled } from '../../src/cron'
import { fanOutLimits, settleLimits } from '../../src/deals/settlement-queue'
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
import { settlementQueue } from './settlement-runs'

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
    // A cron tick before tipping (and everything it enqueued, delivered) captures nothing.
    await settlementQueue().tick()
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
    await settlementQueue().tick()
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
    // The tick closes the deal and enqueues it; the consumer fans it out and releases each place.
    const queue = settlementQueue()
    const tick = await queue.tick()
    expect(tick).toMatchObject({ closed: 1, settled: 0, moved: 4, retried: 0, dead: 0 })
    expect(await queue.tick()).toMatchObject({ closed: 0, settled: 1, moved: 0 })

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

    // The tipping confirmation enqueued the deal on the real queue too: whichever consumer is
    // first captures, the other finds nothing to do. The next tick marks the deal settled.
    const queue = settlementQueue()
    expect(await queue.tick()).toMatchObject({ closed: 1, retried: 0, dead: 0 })
    await queue.tick()
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
    await settlementQueue().tick()
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
  it('two overlapping ticks racing the queue capture every hold exactly once', async () => {
    const deal = await createDeal({ minGroupSize: 6, stock: 20 })
    const all = await members(deal.id, 6)
    // The 6th confirmation tipped the deal and enqueued it on the real queue; two cron ticks,
    // each with its own consumer, race that consumer for the same captures.
    const ticks = await Promise.all([settlementQueue().tick(), settlementQueue().tick()])
    await settledAs(
      'succeeded',
      all.map((m) => m.payment.id),
    )
    for (const t of ticks) expect(t).toMatchObject({ retried: 0, dead: 0 })
    expect(ticks.reduce((n, t) => n + t.moved, 0)).toBeLessThanOrEqual(6)
    expect(await settlementQueue().tick()).toMatchObject({ moved: 0 })
    for (const m of all) expect(await captureCount(m.payment.id)).toBe(1)
    expect(await ordersFor(deal.id)).toHaveLength(6)
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, sold: 6 })
  })

  it('a consumer whose D1 goes away half way loses nothing; the retries finish, nothing twice', async () => {
    const deal = await createDeal({ minGroupSize: 5, stock: 20 })
    const all = await members(deal.id, 4)
    await endDeal(deal.id)
    const queue = settlementQueue()
    expect(await queue.schedule(Date.now())).toMatchObject({ closed: 1, deals_enqueued: 1 })
    expect(await queue.deliver({ batches: 1 })).toMatchObject({ fanned: 4, moved: 0 })
    // The four releases, two to a D1 batch: the first batch commits, then D1 is gone.
    let batches = 0
    const crashing = withBatch(env, (batch) => async (statements) => {
      if (++batches > 1) throw new Error('D1_ERROR: Network connection lost.')
      return batch(statements)
    })
    const saved = settleLimits.chunk
    settleLimits.chunk = 2
    try {
      const first = await queue.deliver({ env: crashing, batches: 1 })
      expect(first).toMatchObject({ moved: 2, retried: 2, dead: 0 })
      // Queues redelivers the two it retried; D1 is back.
      const second = await queue.deliver()
      expect(second).toMatchObject({ moved: 2, retried: 0, unchanged: 0, dead: 0 })
    } finally {
      settleLimits.chunk = saved
    }
    for (const m of all) {
      expect(await paymentStatus(m.payment.id)).toBe('canceled')
      const releases = (await transfersOf(env.DB, m.payment.id)).filter((t) => t.kind === 'release')
      expect(releases).toHaveLength(1)
      expect(await wallet(m.user.id)).toEqual({ balance: 100_000, held: 0 })
    }
    expect(await dealRow(deal.id)).toMatchObject({ phase: 'failed', reserved: 0 })
  })

  it('a large deal is fanned out a bounded slice per message, marked settled only when done', async () => {
    const deal = await createDeal({ minGroupSize: 50, stock: 20 })
    const all = await members(deal.id, 7)
    await endDeal(deal.id)
    const saved = { ...fanOutLimits }
    Object.assign(fanOutLimits, { perMessage: 3, page: 3 })
    try {
      const queue = settlementQueue()
      expect(await queue.schedule(Date.now())).toMatchObject({ closed: 1, deals_enqueued: 1 })
      // settle-deal: 3 releases and its continuation; then those, and the next 3 and 1.
      const slices = []
      for (let i = 0; i < 3; i++) slices.push(await queue.deliver({ batches: 1 }))
      expect(slices.map((d) => d.fanned)).toEqual([3, 3, 1])
      expect(slices.map((d) => d.moved)).toEqual([0, 3, 3])
      expect(await dealRow(deal.id)).toMatchObject({ reserved: 1, settled_at: null })
      // A tick while one place is still held does not mark the deal settled (and enqueues it again).
      expect(await queue.schedule(Date.now())).toMatchObject({ deals_enqueued: 1 })
      expect((await dealRow(deal.id)).settled_at).toBeNull()
      expect(await queue.deliver()).toMatchObject({ moved: 1, retried: 0 })
      expect(await queue.schedule(Date.now())).toMatchObject({ deals_enqueued: 0 })
      const settledAt = (await dealRow(deal.id)).settled_at
      expect(settledAt).not.toBeNull()
      await queue.schedule(Date.now() + 1000) // settled once: a later tick leaves it alone
      expect((await dealRow(deal.id)).settled_at).toBe(settledAt)
    } finally {
      Object.assign(fanOutLimits, saved)
    }
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, participants: 0 })
    for (const m of all) {
      const kinds = (await transfersOf(env.DB, m.payment.id)).map((t) => t.kind).sort()
      expect(kinds).toEqual(['hold', 'release'])
    }
  })
})
