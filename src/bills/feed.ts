import type { RowOf } from '../db/rows'
import type { billSettlements, bills } from '../db/schema/bills'
import { z } from '@hono/zod-openapi'
import { ApiError } from '../http/errors'
import { hasPrefix, newId } from '../lib/ids'
import { money } from '../lib/money'
import { keyset, keysetClause, keysetPage } from '../lib/pagination'
import { iso } from '../lib/time'
import { errorText } from '../lib/d1-errors'
import { findBiller, validFeedSecrets } from './billers'
import { billUpsertSql, type GoodLine } from './rows'
import { isCalendarDate } from './dates'
import { compiledPattern, matchesAccountPattern } from './pattern'
import { FeedLineSchema, type FeedRejectionSchema, type SettlementSchema } from './schemas'
import {
  anySignatureMatches,
  checkTimestamp,
  messageDigest,
  parseSignatureHeader,
  signedMessage,
  TOLERANCE_SECONDS,
} from './signature'

export type FeedCaller = { billerId: string; digest: string; replayKeepUntil: number }

/**
 * Verifies a biller's signed request: header shape, the 5-minute window (both ways), then an HMAC
 * under any secret valid now. An unknown biller answers exactly like a bad signature.
 */
export async function authenticateFeed(
  env: Env,
  input: {
    billerId: string | undefined
    signature: string | undefined
    payload: Uint8Array
    now: number
  },
): Promise<FeedCaller> {
  const parsed = parseSignatureHeader(input.signature)
  checkTimestamp(parsed.timestamp, input.now)
  const billerId = input.billerId?.trim() ?? ''
  const mismatch = new ApiError(
    'invalid_signature',
    'The signature does not match this biller and payload',
  )
  if (!hasPrefix(billerId, 'biller') || billerId.length > 64) throw mismatch
  const secrets = await validFeedSecrets(env, billerId, input.now)
  const message = signedMessage(parsed.timestamp, input.payload)
  if (secrets.length === 0 || !(await anySignatureMatches(secrets, message, parsed.signatures)))
    throw mismatch
  return {
    billerId,
    digest: await messageDigest(message),
    // Past this a replay fails the timestamp check anyway; a minute of margin for clock steps.
    replayKeepUntil: (parsed.timestamp + TOLERANCE_SECONDS) * 1000 + 60_000,
  }
}

type Rejection = z.infer<typeof FeedRejectionSchema>

/** Lines per upsert statement: each is one bound JSON parameter, kept far below D1's 1 MB value cap. */
const LINES_PER_STATEMENT = 1000

const OPEN_PAYMENT = `EXISTS (SELECT 1 FROM payments p WHERE p.purpose_type = 'bill' AND p.purpose_id = b.id
  AND p.status IN ('requires_confirmation', 'requires_capture') AND p.expires_at > ?)`

/**
 * Upserts a feed by (biller, bill_ref). Each line is checked on its own; the good lines land in one
 * D1 batch (all or nothing) together with the replay marker, the bad ones are reported with their
 * index. A bill with money applied (partially paid or paid) or a payment under way is never changed
 * by a feed line: the guard is in the upsert's WHERE, and the same batch reads which lines it hit.
 */
export async function ingestFeed(
  env: Env,
  caller: FeedCaller,
  lines: unknown[],
  now: number,
): Promise<{ upserted: number; rejected: Rejection[] }> {
  const biller = await findBiller(env.DB, caller.billerId)
  if (!biller)
    throw new ApiError('invalid_signature', 'The signature does not match this biller and payload')
  const pattern = compiledPattern(biller.account_pattern)
  const rejected: Rejection[] = []
  const good: { index: number; line: GoodLine }[] = []
  const seen = new Set<string>()

  lines.forEach((raw, index) => {
    const ref =
      typeof raw === 'object' &&
      raw !== null &&
      typeof (raw as { bill_ref?: unknown }).bill_ref === 'string'
        ? (raw as { bill_ref: string }).bill_ref.slice(0, 64)
        : undefined
    const reject = (reason: Rejection['reason'], detail: string) =>
      rejected.push({ index, ...(ref !== undefined ? { bill_ref: ref } : {}), reason, detail })
    const parsed = FeedLineSchema.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      return reject('invalid_line', `${issue.path.join('.') || '(line)'}: ${issue.message}`)
    }
    const line = parsed.data
    if (!isCalendarDate(line.due_date))
      return reject('invalid_line', 'due_date: must be a calendar date YYYY-MM-DD')
    if (!matchesAccountPattern(pattern, line.account_number)) {
      return reject(
        'invalid_account_number',
        "account_number does not match the biller's account_pattern",
      )
    }
    if (seen.has(line.bill_ref))
      return reject('duplicate_bill_ref', 'bill_ref appears earlier in this feed')
    seen.add(line.bill_ref)
    good.push({
      index,
      line: [
        newId('bill'),
        line.bill_ref,
        line.account_number,
        line.period,
        line.amount_due.amount,
        line.due_date,
      ],
    })
  })

  const d1 = env.DB
  const statements: D1PreparedStatement[] = [
    d1
      .prepare('INSERT INTO biller_feed_nonces (biller_id, digest, expires_at) VALUES (?, ?, ?)')
      .bind(caller.billerId, caller.digest, caller.replayKeepUntil),
    // CROSS JOIN keeps the feed's refs as the outer loop: one unique-index probe per line, never a
    // walk over all of the biller's bills.
    d1
      .prepare(
        `SELECT bill_ref, status, in_progress FROM (
           SELECT b.bill_ref, b.status, ${OPEN_PAYMENT} AS in_progress
           FROM json_each(?) j CROSS JOIN bills b ON b.biller_id = ? AND b.bill_ref = j.value
         ) WHERE status <> 'unpaid' OR in_progress`,
      )
      .bind(now, JSON.stringify(good.map((g) => g.line[1])), caller.billerId),
  ]
  for (let i = 0; i < good.length; i += LINES_PER_STATEMENT) {
    const upsert = billUpsertSql(
      caller.billerId,
      good.slice(i, i + LINES_PER_STATEMENT).map((g) => g.line),
      now,
    )
    statements.push(d1.prepare(upsert.sql).bind(...upsert.params))
  }

  let blocked: { bill_ref: string; status: string; in_progress: number }[]
  try {
    const results = await d1.batch(statements)
    blocked = (results[1].results ?? []) as typeof blocked
  } catch (err) {
    if (/UNIQUE constraint failed: biller_feed_nonces/.test(errorText(err))) {
      throw new ApiError(
        'signature_replayed',
        'This signed request was already received; sign each request anew',
      )
    }
    throw err
  }

  const indexByRef = new Map(good.map((g) => [g.line[1], g.index]))
  for (const b of blocked) {
    const index = indexByRef.get(b.bill_ref)!
    if (b.status === 'unpaid') {
      rejected.push({
        index,
        bill_ref: b.bill_ref,
        reason: 'payment_in_progress',
        detail: 'A payment of this bill is awaiting confirmation; send the line again later',
      })
    } else {
      rejected.push({
        index,
        bill_ref: b.bill_ref,
        reason: 'bill_already_paid',
        detail: `The bill is ${b.status}; a feed line cannot change it`,
      })
    }
  }
  rejected.sort((a, b) => a.index - b.index)
  return { upserted: good.length - blocked.length, rejected }
}

type SettlementRow = Pick<
  RowOf<typeof billSettlements>,
  'id' | 'kind' | 'amount' | 'at' | 'payment_id' | 'bill_id'
> &
  Pick<
    RowOf<typeof bills>,
    'bill_ref' | 'account_number' | 'period' | 'amount_due' | 'amount_paid' | 'status'
  >

/** In the order they happened (bill_settlements_biller_at_idx). */
const settlementOrder = keyset({
  columns: ['s.at', 's.id'],
  dir: 'ASC',
  cursor: z.object({ at: z.number().int(), id: z.string() }),
  cursorOf: (row: SettlementRow) => ({ at: row.at, id: row.id }),
  valuesOf: (c) => [c.at, c.id],
})

/**
 * The biller's reconciliation entries since a time: a payment that landed on one of its bills, or
 * a refund of one. Keyset over (at, id), so page N costs what page 1 costs.
 */
export async function listSettlements(
  d1: D1Database,
  billerId: string,
  query: { since: number; limit: number; cursor?: string },
): Promise<{ items: z.infer<typeof SettlementSchema>[]; next_cursor: string | null }> {
  const page = keysetClause(settlementOrder, query.cursor)
  const { results } = await d1
    .prepare(
      `SELECT s.id, s.kind, s.amount, s.at, s.payment_id, b.id AS bill_id, b.bill_ref, b.account_number,
         b.period, b.amount_due, b.amount_paid, b.status
       FROM bill_settlements s JOIN bills b ON b.id = s.bill_id
       WHERE s.biller_id = ? AND s.at >= ? ${page.after ? `AND ${page.after}` : ''}
       ORDER BY ${page.orderBy} LIMIT ?`,
    )
    .bind(billerId, query.since, ...page.params, query.limit + 1)
    .all<SettlementRow>()
  return keysetPage(results, query.limit, toSettlementView, settlementOrder)
}

function toSettlementView(r: SettlementRow): z.infer<typeof SettlementSchema> {
  return {
    id: r.id,
    kind: r.kind,
    amount: money(r.amount),
    at: iso(r.at),
    payment_id: r.payment_id,
    bill: {
      id: r.bill_id,
      bill_ref: r.bill_ref,
      account_number: r.account_number,
      period: r.period,
      amount_due: money(r.amount_due),
      amount_paid: money(r.amount_paid),
      status: r.status,
    },
  }
}

/** Replay markers outlive their usefulness after the timestamp window; the cron clears them. */
export async function purgeFeedNonces(env: Env, now: number): Promise<{ deleted: number }> {
  const res = await env.DB.prepare(
    'DELETE FROM biller_feed_nonces WHERE rowid IN (SELECT rowid FROM biller_feed_nonces WHERE expires_at < ? LIMIT 5000)',
  )
    .bind(now)
    .run()
  return { deleted: res.meta.changes }
}
