import { ApiError } from '../http/errors'
import { errorText } from '../lib/d1-errors'
import { capturePayment, type Purposes, releasePayment } from '../payments'
import { closeEndedDeals, failExpiredTeams, markSettled } from './settlement'

/**
 * Settlement on Cloudflare Queues (docs/deals.md, "Settlement on Queues"). Whoever learns that
 * money must move enqueues it; the consumer moves it, a batch at a time, with retries and a
 * dead-letter queue:
 * - the confirmation that tips a group deal enqueues the deal (`settle-deal`); one on a deal that
 *   already tipped enqueues its own capture; the one that fills a team enqueues every member's
 *   capture (this was up to 50 serial captures inside the phone's confirming request);
 * - the cron closes ended deals and fails expired teams, then only finds deals with work and
 *   enqueues them (`settle-deal`); it moves no money itself;
 * - a `settle-deal` message finds that deal's due captures and releases and enqueues one message
 *   per payment (the fan-out runs in the consumer, not in the cron or a request).
 * Every message is idempotent: capturePayment and releasePayment report "no change" for a payment
 * that already moved, the transition's version guard lets one of two racing consumers win, and
 * the ledger's unique dedupe keys refuse a second transfer. A message delivered twice (Queues
 * delivers at least once) moves money once.
 */

export const SETTLEMENT_QUEUE = 'tvpay-settlement'
export const SETTLEMENT_DLQ = 'tvpay-settlement-dlq'

export type SettlementMessage =
  | { kind: 'capture'; paymentId: string }
  | { kind: 'release'; paymentId: string }
  | { kind: 'settle-deal'; dealId: string }

/** sendBatch takes at most 100 messages (and 256 KB). */
const SEND_CHUNK = 100
/** Payments one settle-deal message fans out; a bigger deal continues in the next message. */
const FAN_OUT = 5_000
/** Payments moved at once by one consumer invocation (D1 round trips overlap). */
const CONCURRENCY = 8
/** Deals the cron enqueues per tick. */
const DEALS_PER_TICK = 200

export async function enqueueSettlement(env: Env, messages: SettlementMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += SEND_CHUNK) {
    const chunk = messages.slice(i, i + SEND_CHUNK)
    await env.SETTLEMENT.sendBatch(chunk.map((body) => ({ body, contentType: 'json' })))
  }
}

/** Captures enqueued from a request (a confirmation): best effort, the cron finds what is lost. */
export async function enqueueFromRequest(env: Env, messages: SettlementMessage[]): Promise<void> {
  try {
    await enqueueSettlement(env, messages)
  } catch (err) {
    const line = {
      event: 'settlement_enqueue_failed',
      count: messages.length,
      error: errorText(err),
    }
    console.error(JSON.stringify(line))
  }
}

export type ScheduleReport = {
  closed: number
  teams_failed: number
  deals_enqueued: number
  settled: number
}

/**
 * The cron's part: decide ended deals and expired teams (no money moves), then enqueue every deal
 * that has holds to capture or places to release, and mark finished deals settled.
 */
export async function scheduleSettlement(env: Env, now: number): Promise<ScheduleReport> {
  const closed = await closeEndedDeals(env, now)
  const teamsFailed = await failExpiredTeams(env, now)
  const deals = await dealsWithWork(env.DB, DEALS_PER_TICK)
  await enqueueSettlement(
    env,
    deals.map((dealId) => ({ kind: 'settle-deal', dealId })),
  )
  const settled = await markSettled(env.DB, now)
  return { closed, teams_failed: teamsFailed, deals_enqueued: deals.length, settled }
}

/**
 * Deals with open units that are decided (closed) or tipped, and deals with failed teams that
 * still hold places: the partial indexes deals_open_units_idx and deal_teams_release_idx.
 */
export async function dealsWithWork(d1: D1Database, limit: number): Promise<string[]> {
  const { results } = await d1
    .prepare(
      `SELECT id FROM deals WHERE reserved > 0 AND (phase <> 'open' OR tipped_at IS NOT NULL)
       UNION
       SELECT deal_id FROM deal_teams WHERE phase = 'failed' AND members > 0
       LIMIT ?`,
    )
    .bind(limit)
    .all<{ id: string }>()
  return results.map((r) => r.id)
}

/** One deal's due work: the same rules as the cron's WORK_SQL, for this deal only. */
export const DEAL_WORK_SQL = {
  captures: `SELECT p.payment_id FROM deals d
    CROSS JOIN deal_participations p ON p.deal_id = d.id AND p.status = 'confirmed'
    LEFT JOIN deal_teams t ON t.id = p.team_id
    WHERE d.id = ?1 AND d.tipped_at IS NOT NULL AND d.phase <> 'failed'
      AND (d.mode = 'group' OR t.phase = 'filled')
    LIMIT ?2`,
  releases: `SELECT p.payment_id FROM deals d
    CROSS JOIN deal_participations p
      ON p.deal_id = d.id AND p.status IN ('pending_payment', 'confirmed')
    LEFT JOIN deal_teams t ON t.id = p.team_id
    WHERE d.id = ?1
      AND (d.phase = 'failed' OR (d.phase <> 'open' AND p.status = 'pending_payment')
           OR t.phase = 'failed')
    LIMIT ?2`,
}

async function fanOut(env: Env, dealId: string): Promise<number> {
  const [captures, releases] = await env.DB.batch<{ payment_id: string }>([
    env.DB.prepare(DEAL_WORK_SQL.captures).bind(dealId, FAN_OUT),
    env.DB.prepare(DEAL_WORK_SQL.releases).bind(dealId, FAN_OUT),
  ])
  const messages: SettlementMessage[] = [
    ...captures!.results.map((r) => ({ kind: 'capture' as const, paymentId: r.payment_id })),
    ...releases!.results.map((r) => ({ kind: 'release' as const, paymentId: r.payment_id })),
  ]
  await enqueueSettlement(env, messages)
  // More than one message can carry: continue once these have been worked off.
  if (captures!.results.length === FAN_OUT || releases!.results.length === FAN_OUT) {
    await env.SETTLEMENT.send(
      { kind: 'settle-deal', dealId },
      { contentType: 'json', delaySeconds: 30 },
    )
  }
  return messages.length
}

/** A refusal that retrying cannot change: the payment is unknown or already elsewhere. */
function settledOtherwise(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 'not_found' || err.code === 'invalid_transition')
}

/** 2, 4, 8 … seconds, at most a minute: a gateway or D1 blip passes, a stuck one waits. */
function backoffSeconds(attempts: number): number {
  return Math.min(60, 2 ** Math.max(1, attempts))
}

export type ConsumeReport = { moved: number; unchanged: number; fanned: number; retried: number }

/**
 * The consumer. Duplicates within a batch run once (both acknowledged); messages run
 * CONCURRENCY at a time; each is acknowledged on its own, so one stuck payment retries alone
 * (with backoff) and, after max_retries, lands in the dead-letter queue.
 */
export async function consumeSettlement(
  batch: MessageBatch<SettlementMessage>,
  env: Env,
  purposes: Purposes,
  now = Date.now(),
): Promise<ConsumeReport> {
  const report: ConsumeReport = { moved: 0, unchanged: 0, fanned: 0, retried: 0 }
  const byWork = new Map<string, Message<SettlementMessage>[]>()
  for (const msg of batch.messages) {
    const body = msg.body
    const key =
      body.kind === 'settle-deal' ? `deal:${body.dealId}` : `${body.kind}:${body.paymentId}`
    byWork.set(key, [...(byWork.get(key) ?? []), msg])
  }
  const work = [...byWork.values()]
  const run = async (messages: Message<SettlementMessage>[]) => {
    const body = messages[0]!.body
    try {
      if (body.kind === 'settle-deal') {
        report.fanned += await fanOut(env, body.dealId)
      } else {
        const move = body.kind === 'capture' ? capturePayment : releasePayment
        const { changed } = await move(env, purposes, body.paymentId, now)
        if (changed) report.moved++
        else report.unchanged++
      }
      for (const m of messages) m.ack()
    } catch (err) {
      if (settledOtherwise(err)) {
        report.unchanged++
        for (const m of messages) m.ack()
        return
      }
      report.retried++
      const line = { event: 'settlement_retry', message: body, error: errorText(err) }
      console.error(JSON.stringify(line))
      for (const m of messages) m.retry({ delaySeconds: backoffSeconds(m.attempts) })
    }
  }
  let next = 0
  const lanes = Array.from({ length: Math.min(CONCURRENCY, work.length) }, async () => {
    while (next < work.length) await run(work[next++]!)
  })
  await Promise.all(lanes)
  return report
}

/**
 * What exhausted its retries: logged as one structured line each (for an alert and a human), then
 * acknowledged. Nothing is lost by it: the cron finds the deal's work again next tick.
 */
export function consumeDeadLetters(batch: MessageBatch<SettlementMessage>): void {
  for (const msg of batch.messages) {
    const line = { event: 'settlement_dead_letter', message: msg.body, attempts: msg.attempts }
    console.error(JSON.stringify(line))
    msg.ack()
  }
}
