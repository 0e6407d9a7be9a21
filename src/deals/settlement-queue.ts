import { ApiError } from '../http/errors'
import { errorText } from '../lib/d1-errors'
import { capturePayments, type ManyOutcome, type Purposes, releasePayments } from '../payments'
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
 *   per payment (the fan-out runs in the consumer, not in the cron or a request); a deal bigger
 *   than one message's share continues at once from a cursor (status, rowid), so a 10,000-place
 *   deal is fanned out in seconds and nothing is enqueued twice.
 * The consumer moves a batch's captures (and releases) in chunks: one read and one D1 batch per
 * chunk (capturePayments), each payment in it with its own guards, not a dozen round trips each.
 * Every message is idempotent: a payment that already moved is reported "no change", the
 * transition's version guard lets one of two racing consumers win (the losing chunk commits
 * nothing and goes one payment at a time), and the ledger's unique dedupe keys refuse a second
 * transfer. A message delivered twice (Queues delivers at least once) moves money once.
 */

export const SETTLEMENT_QUEUE = 'tvpay-settlement'
export const SETTLEMENT_DLQ = 'tvpay-settlement-dlq'

export type SettlementMessage =
  | { kind: 'capture'; paymentId: string }
  | { kind: 'release'; paymentId: string }
  | { kind: 'settle-deal'; dealId: string; from?: WorkCursor }

/** Where a deal's fan-out continues: places of this status after this rowid. */
export type WorkCursor = { status: 'confirmed' | 'pending_payment'; after: number }

/** sendBatch takes at most 100 messages (and 256 KB). */
const SEND_CHUNK = 100
/** Places one settle-deal message walks (a bigger deal continues in the next message), read
 *  a page at a time. An object so tests can make them small. */
export const fanOutLimits = { perMessage: 5_000, page: 1_000 }
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

/**
 * One page of a deal's places of one status, in rowid order from a cursor (the index on
 * (deal_id, status) holds them in that order: no sort), each with what is due: a confirmed place
 * of a tipped group deal or of a filled team is captured; every open place of a failed deal or a
 * failed team, and a place still awaiting confirmation on a closed deal, is released. `kind` is
 * null for a place with nothing due yet (a confirmed place of a team still forming).
 */
export const DEAL_WORK_SQL = `SELECT p.rowid AS rid, p.payment_id,
    CASE
      WHEN p.status = 'confirmed' AND d.tipped_at IS NOT NULL AND d.phase <> 'failed'
        AND (d.mode = 'group' OR t.phase = 'filled') THEN 'capture'
      WHEN d.phase = 'failed' OR (d.phase <> 'open' AND p.status = 'pending_payment')
        OR t.phase = 'failed' THEN 'release'
    END AS kind
  FROM deals d
  CROSS JOIN deal_participations p ON p.deal_id = d.id AND p.status = ?2 AND p.rowid > ?3
  LEFT JOIN deal_teams t ON t.id = p.team_id
  WHERE d.id = ?1
  ORDER BY p.rowid
  LIMIT ?4`

type WorkRow = { rid: number; payment_id: string; kind: 'capture' | 'release' | null }

const STATUSES: WorkCursor['status'][] = ['confirmed', 'pending_payment']

async function fanOut(env: Env, dealId: string, from?: WorkCursor): Promise<number> {
  let cursor: WorkCursor | null = from ?? { status: 'confirmed', after: 0 }
  let walked = 0
  let enqueued = 0
  const { perMessage, page } = fanOutLimits
  while (cursor && walked < perMessage) {
    const { results }: D1Result<WorkRow> = await env.DB.prepare(DEAL_WORK_SQL)
      .bind(dealId, cursor.status, cursor.after, page)
      .all<WorkRow>()
    const messages: SettlementMessage[] = results.flatMap((r) =>
      r.kind ? [{ kind: r.kind, paymentId: r.payment_id }] : [],
    )
    await enqueueSettlement(env, messages)
    walked += results.length
    enqueued += messages.length
    if (results.length === page) {
      cursor = { status: cursor.status, after: results[page - 1]!.rid }
    } else {
      const next: WorkCursor['status'] | undefined = STATUSES[STATUSES.indexOf(cursor.status) + 1]
      cursor = next ? { status: next, after: 0 } : null
    }
  }
  // More than one message's share: the rest continues at once, from where this one stopped.
  if (cursor) await env.SETTLEMENT.send({ kind: 'settle-deal', dealId, from: cursor })
  return enqueued
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

/** Payments of one kind moved by one D1 batch (capturePayments / releasePayments). An object so
 *  tests can make it small. */
export const settleLimits = { chunk: 25 }

type Delivered = Message<SettlementMessage>[]
type Work =
  | { kind: 'settle-deal'; messages: Delivered }
  | { kind: 'capture' | 'release'; payments: Map<string, Delivered> }

/**
 * The consumer. Duplicates within a batch run once (both acknowledged). Captures and releases go
 * in chunks of settleLimits.chunk, each one read and one D1 batch for the whole chunk
 * (capturePayments: every payment keeps its own guards, and a chunk that cannot commit as one
 * falls back to one payment at a time). Work runs CONCURRENCY at a time; every message is
 * acknowledged on its own, so one stuck payment retries alone (with backoff) and, after
 * max_retries, lands in the dead-letter queue.
 */
export async function consumeSettlement(
  batch: MessageBatch<SettlementMessage>,
  env: Env,
  purposes: Purposes,
  now = Date.now(),
): Promise<ConsumeReport> {
  const report: ConsumeReport = { moved: 0, unchanged: 0, fanned: 0, retried: 0 }
  const work = workOf(batch.messages)
  const runDeal = async (messages: Delivered) => {
    const body = messages[0]!.body as Extract<SettlementMessage, { kind: 'settle-deal' }>
    try {
      report.fanned += await fanOut(env, body.dealId, body.from)
      for (const m of messages) m.ack()
    } catch (err) {
      retry(report, messages, err)
    }
  }
  const runPayments = async (kind: 'capture' | 'release', payments: Map<string, Delivered>) => {
    const ids = [...payments.keys()]
    const many = kind === 'capture' ? capturePayments : releasePayments
    let outcomes: ManyOutcome[]
    try {
      outcomes = await many(env, purposes, ids, now)
    } catch (error) {
      // The chunk's read failed: nothing was written, every message of it retries.
      outcomes = ids.map((paymentId) => ({ paymentId, ok: false, error }))
    }
    for (const outcome of outcomes) {
      const messages = payments.get(outcome.paymentId)!
      if (outcome.ok) {
        if (outcome.result.changed) report.moved++
        else report.unchanged++
        for (const m of messages) m.ack()
      } else if (settledOtherwise(outcome.error)) {
        report.unchanged++
        for (const m of messages) m.ack()
      } else {
        retry(report, messages, outcome.error)
      }
    }
  }
  let next = 0
  const lanes = Array.from({ length: Math.min(CONCURRENCY, work.length) }, async () => {
    while (next < work.length) {
      const item = work[next++]!
      if (item.kind === 'settle-deal') await runDeal(item.messages)
      else await runPayments(item.kind, item.payments)
    }
  })
  await Promise.all(lanes)
  return report
}

/** The batch's messages as work: duplicates together, payments in chunks of one kind. */
function workOf(messages: readonly Message<SettlementMessage>[]): Work[] {
  const deals = new Map<string, Delivered>()
  const payments = { capture: new Map<string, Delivered>(), release: new Map<string, Delivered>() }
  for (const msg of messages) {
    const body = msg.body
    const [group, key] =
      body.kind === 'settle-deal'
        ? [deals, `${body.dealId}:${body.from?.status ?? ''}:${body.from?.after ?? 0}`]
        : [payments[body.kind], body.paymentId]
    group.set(key, [...(group.get(key) ?? []), msg])
  }
  const work: Work[] = [...deals.values()].map((m) => ({ kind: 'settle-deal', messages: m }))
  for (const kind of ['capture', 'release'] as const) {
    const entries = [...payments[kind].entries()]
    for (let i = 0; i < entries.length; i += settleLimits.chunk) {
      work.push({ kind, payments: new Map(entries.slice(i, i + settleLimits.chunk)) })
    }
  }
  return work
}

function retry(report: ConsumeReport, messages: Delivered, err: unknown) {
  report.retried++
  const line = { event: 'settlement_retry', message: messages[0]!.body, error: errorText(err) }
  console.error(JSON.stringify(line))
  for (const m of messages) m.retry({ delaySeconds: backoffSeconds(m.attempts) })
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
