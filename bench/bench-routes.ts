// Bench-only routes, in the bench bundle only (bench/worker.js), never in the production Worker:
// they build states that would take minutes through the public API (10,000 confirmed holds on one
// deal, each a person with a PIN-checked confirmation) out of the same functions the API runs.
import { joinDeal } from '../src/deals/join'
import {
  consumeSettlement,
  enqueueSettlement,
  type SettlementMessage,
} from '../src/deals/settlement-queue'
import { newId } from '../src/lib/ids'
import { fundsOf, holdTransfer } from '../src/payments/funds'
import { findPayment } from '../src/payments/store'
import { transition } from '../src/payments/transitions'
import { creditWallet } from '../src/payments/wallet'
import { purposes } from '../src/wiring'
import { type DirectJoin, directJoin, echo } from './direct-join'
import { type ObjectJoins, objectJoins } from './object-joins'

/** wrangler.toml's max_retries for the settlement queue. */
const MAX_RETRIES = 5

type SeedHolds = { deal_id: string; count: number; per_user?: number; concurrency?: number }

/**
 * `count` places of the deal, each joined (through its Durable Object, as the API does) and held
 * from a wallet (the confirmation's transition, without the PIN), by new people holding
 * `per_user` places each: what settlement then has to capture or release.
 */
async function seedHolds(env: Env, body: SeedHolds) {
  const started = Date.now()
  const perUser = body.per_user ?? 1
  const users: string[] = []
  for (let i = 0; i < Math.ceil(body.count / perUser); i++) {
    const userId = newId('user')
    const now = Date.now()
    await env.DB.prepare(
      'INSERT INTO users (id, phone, password_hash, created_at) VALUES (?, ?, ?, ?)',
    )
      .bind(userId, `+86bench${userId.slice(-12)}`, 'pbkdf2-sha256$1$x$x', now)
      .run()
    await creditWallet(env, userId, 1_000_000 * perUser, 'bench', now)
    users.push(userId)
  }
  const one = async (userId: string) => {
    const now = Date.now()
    const principal = { kind: 'user' as const, userId }
    const joined = await joinDeal(env, principal, body.deal_id, { quantity: 1 }, now)
    const payment = (await findPayment(env.DB, joined.payment.id))!
    await transition(env, purposes, payment, 'requires_capture', Date.now(), {
      transfers: [holdTransfer(payment, fundsOf(payment, 'wallet'))],
      set: { method: 'wallet' },
    })
  }
  let next = 0
  const lanes = Array.from({ length: body.concurrency ?? 16 }, async () => {
    while (next < body.count) await one(users[next++ % users.length]!)
  })
  await Promise.all(lanes)
  return { held: body.count, ms: Date.now() - started }
}

/**
 * The settlement consumer (consumeSettlement, as the queue handler runs it) fed from memory:
 * `invocations` consumers at once, batches of up to 100, starting from the deal's settle-deal
 * message; whatever they send (fan-out, continuations, retries) is fed back without delay; a
 * message retried past max_retries is counted as dead-lettered instead.
 * Miniflare's own queue (workerd 2026-04) crashed the runtime in this bench once the consumer
 * ran; this measures the same consumer code without the local queue broker.
 */
async function drainSettlement(env: Env, body: { deal_id: string; invocations?: number }) {
  const started = Date.now()
  type Queued = { body: SettlementMessage; attempts: number }
  const pending: Queued[] = [{ body: { kind: 'settle-deal', dealId: body.deal_id }, attempts: 1 }]
  const queue = {
    async send(message: SettlementMessage) {
      pending.push({ body: message, attempts: 1 })
    },
    async sendBatch(messages: { body: SettlementMessage }[]) {
      for (const m of messages) pending.push({ body: m.body, attempts: 1 })
    },
  }
  const local = { ...env, SETTLEMENT: queue as unknown as Queue }
  const totals = { batches: 0, moved: 0, unchanged: 0, fanned: 0, retried: 0, deadLettered: 0 }
  let seq = 0
  let busy = 0
  const consumer = async () => {
    for (;;) {
      if (pending.length === 0) {
        if (busy === 0) return
        await new Promise((r) => setTimeout(r, 1))
        continue
      }
      busy++
      const taken = pending.splice(0, 100)
      const messages = taken.map((q) => ({
        id: `m${++seq}`,
        timestamp: new Date(),
        body: q.body,
        attempts: q.attempts,
        ack() {},
        // As wrangler.toml's max_retries: past it, the dead-letter queue (counted, not retried).
        retry() {
          if (q.attempts > MAX_RETRIES) totals.deadLettered++
          else pending.push({ body: q.body, attempts: q.attempts + 1 })
        },
      }))
      const batch = {
        messages,
        queue: 'tvpay-settlement',
        metadata: { metrics: { backlogCount: pending.length, backlogBytes: 0 } },
        ackAll() {},
        retryAll() {},
      } as MessageBatch<SettlementMessage>
      const report = await consumeSettlement(batch, local, purposes)
      totals.batches++
      totals.moved += report.moved
      totals.unchanged += report.unchanged
      totals.fanned += report.fanned
      totals.retried += report.retried
      busy--
    }
  }
  await Promise.all(Array.from({ length: body.invocations ?? 8 }, consumer))
  return { ...totals, ms: Date.now() - started }
}

export async function benchRoute(request: Request, env: Env): Promise<Response | null> {
  const { pathname } = new URL(request.url)
  if (request.method !== 'POST') return null
  if (pathname === '/__bench/seed-holds') {
    return Response.json(await seedHolds(env, (await request.json()) as SeedHolds))
  }
  if (pathname === '/__bench/drain-settlement') {
    const body = (await request.json()) as { deal_id: string; invocations?: number }
    return Response.json(await drainSettlement(env, body))
  }
  if (pathname === '/__bench/direct-join') {
    return directJoin(env, (await request.json()) as DirectJoin)
  }
  if (pathname === '/__bench/echo') return echo(request)
  if (pathname === '/__bench/object-joins') {
    return Response.json(await objectJoins(env, (await request.json()) as ObjectJoins))
  }
  if (pathname === '/__bench/settle-deal') {
    const { deal_id } = (await request.json()) as { deal_id: string }
    await enqueueSettlement(env, [{ kind: 'settle-deal', dealId: deal_id }])
    return Response.json({ enqueued: deal_id })
  }
  return null
}
