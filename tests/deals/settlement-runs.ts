import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test'
import {
  type ConsumeReport,
  consumeDeadLetters,
  consumeSettlement,
  SETTLEMENT_DLQ,
  SETTLEMENT_QUEUE,
  scheduleSettlement,
  type SettlementMessage,
} from '../../src/deals/settlement-queue'
import { purposes } from '../../src/wiring'

/** wrangler.toml's consumer of the settlement queue. */
const MAX_BATCH_SIZE = 100
const MAX_RETRIES = 5

type Queued = { body: SettlementMessage; attempts: number }

export type Delivered = ConsumeReport & { batches: number; dead: number }

let seq = 0

/**
 * Settlement as production runs it, the cron's scheduleSettlement and then the queue's consumer,
 * with the queue's transport in the test's hands so a test knows when the money has moved: what
 * the cron and the consumer enqueue (their own send / sendBatch calls) is kept here, and
 * deliver() hands it to consumeSettlement (what the Worker's queue handler runs) in batches of up
 * to max_batch_size, redelivering what the consumer retried until max_retries, then to the
 * dead-letter consumer. Tests can drain everything, let a few batches through, or give one
 * delivery a failing D1.
 */
export function settlementQueue(base: Env = env) {
  const pending: Queued[] = []
  const binding = {
    async send(body: SettlementMessage) {
      pending.push({ body, attempts: 1 })
    },
    async sendBatch(messages: Iterable<{ body: SettlementMessage }>) {
      for (const m of messages) pending.push({ body: m.body, attempts: 1 })
    },
  }
  const producing = (on: Env) => ({ ...on, SETTLEMENT: binding }) as unknown as Env

  /** The consumer, a batch at a time, until the queue is empty or `batches` were delivered. */
  async function deliver(opts: { env?: Env; now?: number; batches?: number } = {}) {
    const on = producing(opts.env ?? base)
    const total: Delivered = { moved: 0, unchanged: 0, fanned: 0, retried: 0, batches: 0, dead: 0 }
    while (pending.length > 0 && total.batches < (opts.batches ?? Infinity)) {
      const taken = new Map(pending.splice(0, MAX_BATCH_SIZE).map((q) => [`msg-${++seq}`, q]))
      const messages = [...taken].map(([id, q]) => ({
        id,
        timestamp: new Date(),
        attempts: q.attempts,
        body: q.body,
      }))
      const batch = createMessageBatch<SettlementMessage>(SETTLEMENT_QUEUE, messages)
      const report = await consumeSettlement(batch, on, purposes, opts.now)
      const result = await getQueueResult(batch, createExecutionContext())
      total.batches++
      for (const key of ['moved', 'unchanged', 'fanned', 'retried'] as const) {
        total[key] += report[key]
      }
      const dead: Queued[] = []
      for (const { msgId } of result.retryMessages) {
        const q = taken.get(msgId)!
        if (q.attempts > MAX_RETRIES) dead.push(q)
        else pending.push({ body: q.body, attempts: q.attempts + 1 })
      }
      if (dead.length > 0) {
        total.dead += dead.length
        const toDlq = dead.map((q) => ({
          id: `msg-${++seq}`,
          timestamp: new Date(),
          attempts: 1,
          body: q.body,
        }))
        consumeDeadLetters(createMessageBatch<SettlementMessage>(SETTLEMENT_DLQ, toDlq))
      }
    }
    return total
  }

  return {
    pending,
    /** The cron's settlement task, enqueueing here. */
    schedule: (now: number, on: Env = base) => scheduleSettlement(producing(on), now),
    deliver,
    /** One cron tick and all it leads to: the cron decides and enqueues, the consumer drains. */
    async tick(now = Date.now(), on: Env = base) {
      const scheduled = await scheduleSettlement(producing(on), now)
      return { ...scheduled, ...(await deliver({ env: on, now })) }
    },
  }
}
