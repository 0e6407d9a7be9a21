import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import worker from '../../src/index'
import {
  consumeSettlement,
  DEAL_WORK_SQL,
  fanOutLimits,
  SETTLEMENT_DLQ,
  SETTLEMENT_QUEUE,
  scheduleSettlement,
  type SettlementMessage,
  settleLimits,
} from '../../src/deals/settlement-queue'
import { capturePayment } from '../../src/payments'
import { expectLedgerBalanced, transfersOf } from '../helpers/ledger'
import { purposes } from '../../src/wiring'
import {
  confirm,
  createDeal,
  dealRow,
  endDeal,
  household,
  joined,
  paymentStatus,
  settledAs,
  wallet,
  withBatch,
} from './helpers'

afterEach(async () => {
  await expectLedgerBalanced(env.DB)
})

let seq = 0
function batchOf(messages: SettlementMessage[], queue = SETTLEMENT_QUEUE, attempts = 1) {
  return createMessageBatch<SettlementMessage>(
    queue,
    messages.map((body) => ({
      id: `msg-${++seq}`,
      timestamp: new Date(),
      attempts,
      body,
    })),
  )
}

/** Runs the Worker's queue handler on a batch, as Queues would deliver it. */
async function deliver(messages: SettlementMessage[], queue = SETTLEMENT_QUEUE) {
  const batch = batchOf(messages, queue)
  const ctx = createExecutionContext()
  await worker.queue(batch as never, env)
  return getQueueResult(batch, ctx)
}

async function captures(paymentId: string) {
  return (await transfersOf(env.DB, paymentId)).filter((t) => t.kind === 'capture').length
}

/** Holds on a deal that cannot tip (threshold far away): nothing settles them but us. */
async function heldPlaces(n: number, price = 800) {
  const deal = await createDeal({ price, minGroupSize: 1000, stock: 50 })
  const out = []
  for (let i = 0; i < n; i++) {
    const h = await household({ balance: 10_000 })
    const j = await joined(h.tv.token, deal.id)
    expect((await confirm(h.user.token, j.payment.id)).status).toBe(200)
    out.push({ ...h, ...j })
  }
  return { deal, places: out }
}

describe('redelivery never moves money twice', () => {
  it('the same capture twice in a batch, then the whole batch again: one capture', async () => {
    const { places } = await heldPlaces(2)
    const [a, b] = places.map((p) => p.payment.id) as [string, string]
    const messages: SettlementMessage[] = [
      { kind: 'capture', paymentId: a },
      { kind: 'capture', paymentId: a },
      { kind: 'capture', paymentId: b },
    ]
    const first = await deliver(messages)
    expect(first.explicitAcks).toHaveLength(3)
    expect(first.retryMessages).toEqual([])
    const again = await deliver(messages) // Queues delivers at least once
    expect(again.explicitAcks).toHaveLength(3)
    for (const id of [a, b]) {
      expect(await paymentStatus(id)).toBe('succeeded')
      expect(await captures(id)).toBe(1)
    }
    expect(await wallet(places[0]!.user.id)).toEqual({ balance: 10_000 - 800, held: 0 })
  })

  it('two consumers delivering the same messages at once: one capture each', async () => {
    const { places } = await heldPlaces(3)
    const messages = places.map((p) => ({ kind: 'capture' as const, paymentId: p.payment.id }))
    await Promise.all([deliver(messages), deliver(messages), deliver([...messages].reverse())])
    for (const p of places) expect(await captures(p.payment.id)).toBe(1)
  })

  it('a release redelivered after a capture changes nothing (acknowledged, not retried)', async () => {
    const { places } = await heldPlaces(1)
    const id = places[0]!.payment.id
    await deliver([{ kind: 'capture', paymentId: id }])
    const late = await deliver([{ kind: 'release', paymentId: id }])
    expect(late.explicitAcks).toHaveLength(1)
    expect(late.retryMessages).toEqual([])
    expect(await paymentStatus(id)).toBe('succeeded')
  })
})

/** The env with D1's batch() counted: how many batches, and how many statements each. */
function countingBatches(base: Env = env) {
  const sizes: number[] = []
  const counted = withBatch(base, (batch) => async (statements) => {
    sizes.push(statements.length)
    return batch(statements)
  })
  return { env: counted, sizes }
}

async function ordersOf(paymentId: string) {
  const r = await env.DB.prepare('SELECT COUNT(*) AS n FROM orders WHERE payment_id = ?')
    .bind(paymentId)
    .first<{ n: number }>()
  return r!.n
}

async function consume(messages: SettlementMessage[], on: Env = env) {
  const batch = batchOf(messages)
  const ctx = createExecutionContext()
  const report = await consumeSettlement(batch, on, purposes)
  return { report, result: await getQueueResult(batch, ctx) }
}

describe('captures and releases in chunks: one D1 batch for many payments', () => {
  it('a chunk of holds is captured in one batch, each once, with its order and the deal counted', async () => {
    const { deal, places } = await heldPlaces(5)
    const counting = countingBatches()
    const messages = places.map((p) => ({ kind: 'capture' as const, paymentId: p.payment.id }))
    const { report, result } = await consume(messages, counting.env)
    expect(report).toMatchObject({ moved: 5, unchanged: 0, retried: 0 })
    expect(result.explicitAcks).toHaveLength(5)
    expect(counting.sizes).toHaveLength(1) // one batch for the five, not five
    for (const p of places) {
      expect(await paymentStatus(p.payment.id)).toBe('succeeded')
      expect(await captures(p.payment.id)).toBe(1)
      expect(await ordersOf(p.payment.id)).toBe(1)
      expect(await wallet(p.user.id)).toEqual({ balance: 10_000 - 800, held: 0 })
    }
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, sold: 5 })
  })

  it('chunks are settleLimits.chunk payments each', async () => {
    const { places } = await heldPlaces(5)
    const counting = countingBatches()
    const saved = settleLimits.chunk
    settleLimits.chunk = 2
    try {
      const messages = places.map((p) => ({ kind: 'capture' as const, paymentId: p.payment.id }))
      const { report } = await consume(messages, counting.env)
      expect(report.moved).toBe(5)
    } finally {
      settleLimits.chunk = saved
    }
    expect(counting.sizes).toHaveLength(3)
    for (const p of places) expect(await captures(p.payment.id)).toBe(1)
  })

  it('redelivered with new ones: the captured one is skipped, the new ones captured once', async () => {
    const { places } = await heldPlaces(3)
    const [a, ...rest] = places.map((p) => ({ kind: 'capture' as const, paymentId: p.payment.id }))
    await consume([a!])
    const { report, result } = await consume([a!, ...rest, a!])
    expect(report).toMatchObject({ moved: 2, unchanged: 1, retried: 0 })
    expect(result.explicitAcks).toHaveLength(4)
    for (const p of places) {
      expect(await captures(p.payment.id)).toBe(1)
      expect(await ordersOf(p.payment.id)).toBe(1)
    }
  })

  it('a payment captured by someone else after the chunk read it: the batch commits nothing, then one by one, once each', async () => {
    const { deal, places } = await heldPlaces(4)
    const ids = places.map((p) => p.payment.id)
    let raced = false
    const racing = withBatch(env, (batch) => async (statements) => {
      if (!raced) {
        raced = true
        // Another consumer captures the first one between the chunk's read and its batch.
        expect((await capturePayment(env, purposes, ids[0]!, Date.now())).changed).toBe(true)
      }
      return batch(statements)
    })
    const { report, result } = await consume(
      ids.map((paymentId) => ({ kind: 'capture' as const, paymentId })),
      racing,
    )
    expect(raced).toBe(true)
    expect(report).toMatchObject({ moved: 3, unchanged: 1, retried: 0 })
    expect(result.explicitAcks).toHaveLength(4)
    expect(result.retryMessages).toEqual([])
    for (const id of ids) {
      expect(await captures(id)).toBe(1)
      expect(await ordersOf(id)).toBe(1)
    }
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, sold: 4 })
  })

  it('a chunk of releases gives every hold back once; a place never confirmed is canceled', async () => {
    const { deal, places } = await heldPlaces(3)
    const extra = await household({ balance: 10_000 })
    const unconfirmed = await joined(extra.tv.token, deal.id)
    const ids = [...places.map((p) => p.payment.id), unconfirmed.payment.id]
    const counting = countingBatches()
    const messages = ids.map((paymentId) => ({ kind: 'release' as const, paymentId }))
    const { report } = await consume(messages, counting.env)
    expect(report).toMatchObject({ moved: 4, retried: 0 })
    expect(counting.sizes).toHaveLength(1)
    const again = await consume(messages)
    expect(again.report).toMatchObject({ moved: 0, unchanged: 4 })
    for (const id of ids) expect(await paymentStatus(id)).toBe('canceled')
    for (const p of places) {
      expect((await transfersOf(env.DB, p.payment.id)).map((t) => t.kind).sort()).toEqual([
        'hold',
        'release',
      ])
      expect(await wallet(p.user.id)).toEqual({ balance: 10_000, held: 0 })
    }
    expect(await transfersOf(env.DB, unconfirmed.payment.id)).toEqual([])
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, participants: 0, sold: 0 })
  })
})

describe('retries and the dead-letter queue', () => {
  it('a capture that fails (D1 unavailable) is retried with backoff, not acknowledged', async () => {
    const { places } = await heldPlaces(1)
    const id = places[0]!.payment.id
    const down = withBatch(env, () => async () => {
      throw new Error('D1_ERROR: Network connection lost.')
    })
    const batch = batchOf([{ kind: 'capture', paymentId: id }], SETTLEMENT_QUEUE, 3)
    const ctx = createExecutionContext()
    const report = await consumeSettlement(batch, down, purposes)
    expect(report).toMatchObject({ retried: 1, moved: 0 })
    const result = await getQueueResult(batch, ctx)
    expect(result.retryMessages).toHaveLength(1)
    expect(result.explicitAcks).toEqual([])
    expect(await paymentStatus(id)).toBe('requires_capture')
    // Delivered again once D1 is back: captured, once.
    await deliver([{ kind: 'capture', paymentId: id }])
    expect(await captures(id)).toBe(1)
  })

  it('an unknown payment is acknowledged (nothing to retry), not sent round again', async () => {
    const result = await deliver([{ kind: 'capture', paymentId: 'pay_does_not_exist' }])
    expect(result.explicitAcks).toHaveLength(1)
  })

  it('the dead-letter consumer logs what exhausted its retries and acknowledges it', async () => {
    const result = await deliver([{ kind: 'capture', paymentId: 'pay_gave_up' }], SETTLEMENT_DLQ)
    expect(result.explicitAcks).toHaveLength(1)
  })
})

describe('the cron only finds work; the queue moves the money', () => {
  it('a failed deal: the tick closes it and enqueues it; the consumer fans out and releases', async () => {
    const { deal, places } = await heldPlaces(3)
    await endDeal(deal.id)
    const report = await scheduleSettlement(env, Date.now())
    expect(report.closed).toBeGreaterThanOrEqual(1)
    expect(report.deals_enqueued).toBeGreaterThanOrEqual(1)
    expect((await dealRow(deal.id)).phase).toBe('failed')
    // Through the real queue now: settle-deal, then one release per hold.
    await settledAs(
      'canceled',
      places.map((p) => p.payment.id),
    )
    for (const p of places) expect(await wallet(p.user.id)).toEqual({ balance: 10_000, held: 0 })
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, participants: 0 })
    await scheduleSettlement(env, Date.now())
    expect((await dealRow(deal.id)).settled_at).not.toBeNull()
  })

  it('settle-deal fans one deal out into one message per payment', async () => {
    const { deal, places } = await heldPlaces(4)
    await env.DB.prepare('UPDATE deals SET tipped_at = ? WHERE id = ?')
      .bind(Date.now(), deal.id)
      .run()
    const batch = batchOf([{ kind: 'settle-deal', dealId: deal.id }])
    const report = await consumeSettlement(batch, env, purposes)
    expect(report.fanned).toBe(4)
    await settledAs(
      'succeeded',
      places.map((p) => p.payment.id),
    )
  })
})

describe('a big deal fans out from a cursor', () => {
  it('pages and continuation messages cover every due place exactly once, at once (no delay)', async () => {
    const { deal, places } = await heldPlaces(7)
    // Two places that are not held: one still to confirm (released only once the deal closes).
    const extra = await household({ balance: 10_000 })
    const unconfirmed = await joined(extra.tv.token, deal.id)
    await env.DB.prepare('UPDATE deals SET tipped_at = ? WHERE id = ?')
      .bind(Date.now(), deal.id)
      .run()
    const sent: Array<{ body: SettlementMessage; delaySeconds?: number }> = []
    const recording = {
      ...env,
      SETTLEMENT: {
        async send(body: SettlementMessage, opts?: { delaySeconds?: number }) {
          sent.push({ body, delaySeconds: opts?.delaySeconds })
        },
        async sendBatch(msgs: Array<{ body: SettlementMessage }>) {
          for (const m of msgs) sent.push({ body: m.body })
        },
      },
    } as unknown as Env
    const saved = { ...fanOutLimits }
    Object.assign(fanOutLimits, { perMessage: 3, page: 2 })
    try {
      let next: SettlementMessage | undefined = { kind: 'settle-deal', dealId: deal.id }
      let rounds = 0
      while (next) {
        rounds++
        const from = sent.length
        await consumeSettlement(batchOf([next]), recording, purposes)
        next = sent.slice(from).find((m) => m.body.kind === 'settle-deal')?.body
        const continuation = sent.slice(from).find((m) => m.body.kind === 'settle-deal')
        expect(continuation?.delaySeconds).toBeUndefined()
      }
      expect(rounds).toBeGreaterThanOrEqual(3)
      const captures = sent.flatMap((m) => (m.body.kind === 'capture' ? [m.body.paymentId] : []))
      expect(captures.sort()).toEqual(places.map((p) => p.payment.id).sort())
      // The open (pending) place is not due while the deal runs: nothing for it.
      expect(
        sent.some((m) => 'paymentId' in m.body && m.body.paymentId === unconfirmed.payment.id),
      ).toBe(false)

      // Once the deal ends, the pending place is released, the holds captured: each once.
      await endDeal(deal.id)
      await env.DB.prepare(`UPDATE deals SET phase = 'succeeded' WHERE id = ?`).bind(deal.id).run()
      sent.length = 0
      next = { kind: 'settle-deal', dealId: deal.id }
      while (next) {
        const from = sent.length
        await consumeSettlement(batchOf([next]), recording, purposes)
        next = sent.slice(from).find((m) => m.body.kind === 'settle-deal')?.body
      }
      const work = sent.filter((m) => m.body.kind !== 'settle-deal').map((m) => m.body)
      expect(work).toHaveLength(8)
      expect(work).toContainEqual({ kind: 'release', paymentId: unconfirmed.payment.id })
    } finally {
      Object.assign(fanOutLimits, saved)
    }
  })

  it('the page query walks the (deal_id, status) index in rowid order: no sort, no scan', async () => {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${DEAL_WORK_SQL}`)
      .bind('d', 'confirmed', 0, 1000)
      .all<{ detail: string }>()
    const detail = results.map((r) => r.detail).join(' | ')
    expect(detail, detail).toMatch(/SEARCH p USING INDEX deal_participations_deal_status_idx/)
    expect(detail, detail).not.toMatch(/TEMP B-TREE|SCAN p/)
  })
})
