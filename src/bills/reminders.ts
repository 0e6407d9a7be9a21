import type { RowOf } from '../db/rows'
import type { notifications } from '../db/schema/bills'
import { z } from '@hono/zod-openapi'
import { newId } from '../lib/ids'
import { keyset, keysetClause, keysetPage } from '../lib/pagination'
import { iso } from '../lib/time'
import { chinaDate } from './dates'
import type { NotificationSchema } from './schemas'

export const REMINDER_DAYS = 3
const CANDIDATES_PER_ROUND = 200
const ROUNDS_PER_RUN = 10

type Candidate = {
  bill_id: string
  user_id: string
  label: string
  remaining: number
  due_date: string
  period: string
}

/**
 * Cron task: a 'bill_due' reminder for every household member linked to a bill that is still owed
 * and due within 3 days (China calendar, due date included). notifications_once_uq makes each
 * (person, bill) reminder exist once, however often the cron runs or races itself; a run stops
 * after a bounded number of rounds and the next minute carries on where it left off.
 */
export async function recordBillReminders(
  env: Env,
  now: number,
): Promise<{ recorded: number; userIds: string[] }> {
  const from = chinaDate(now)
  const until = chinaDate(now, REMINDER_DAYS)
  let recorded = 0
  const userIds = new Set<string>()
  for (let round = 0; round < ROUNDS_PER_RUN; round++) {
    const { results } = await env.DB.prepare(
      `SELECT b.id AS bill_id, a.user_id, COALESCE(a.nickname, r.name) AS label,
         b.amount_due - b.amount_paid AS remaining, b.due_date, b.period
       FROM bills b
       JOIN biller_accounts a ON a.biller_id = b.biller_id AND a.account_number = b.account_number
       JOIN billers r ON r.id = b.biller_id
       WHERE b.status IN ('unpaid', 'partially_paid') AND b.due_date BETWEEN ? AND ?
         AND NOT EXISTS (SELECT 1 FROM notifications n
                         WHERE n.user_id = a.user_id AND n.kind = 'bill_due' AND n.subject_id = b.id)
       LIMIT ?`,
    )
      .bind(from, until, CANDIDATES_PER_ROUND)
      .all<Candidate>()
    if (results.length === 0) break
    const rows = results.map((c) => [
      newId('notification'),
      c.user_id,
      c.bill_id,
      `${c.label}：账单将于 ${c.due_date} 到期`,
      `${c.period} 应缴 ¥${yuan(c.remaining)}，可在电视上发起、手机上确认缴费。`,
      JSON.stringify({
        bill_id: c.bill_id,
        amount_remaining: { amount: c.remaining, currency: 'CNY' },
        due_date: c.due_date,
      }),
    ])
    const res = await env.DB.prepare(
      `INSERT INTO notifications (id, user_id, kind, subject_id, title, body, data, created_at)
       SELECT j.value ->> 0, j.value ->> 1, 'bill_due', j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, ?
       FROM json_each(?) j WHERE true
       ON CONFLICT (user_id, kind, subject_id) DO NOTHING
       RETURNING user_id`,
    )
      .bind(now, JSON.stringify(rows))
      .all<{ user_id: string }>()
    recorded += res.results.length
    for (const r of res.results) userIds.add(r.user_id)
    if (results.length < CANDIDATES_PER_ROUND) break
  }
  return { recorded, userIds: [...userIds] }
}

/** 12345 fen → "123.45", in integers. */
export function yuan(fen: number): string {
  return `${Math.trunc(fen / 100)}.${String(Math.abs(fen % 100)).padStart(2, '0')}`
}

type NotificationRow = Pick<
  RowOf<typeof notifications>,
  'id' | 'kind' | 'title' | 'body' | 'data' | 'created_at' | 'delivered_at'
>

/** Newest first (notifications_user_created_idx). */
const notificationOrder = keyset({
  columns: ['created_at', 'id'],
  dir: 'DESC',
  cursor: z.object({ at: z.number().int(), id: z.string() }),
  cursorOf: (row: NotificationRow) => ({ at: row.created_at, id: row.id }),
  valuesOf: (c) => [c.at, c.id],
})

/** A person's notifications, newest first. */
export async function listNotifications(
  d1: D1Database,
  userId: string,
  query: { limit: number; cursor?: string },
): Promise<{ items: z.infer<typeof NotificationSchema>[]; next_cursor: string | null }> {
  const page = keysetClause(notificationOrder, query.cursor)
  const { results } = await d1
    .prepare(
      `SELECT id, kind, title, body, data, created_at, delivered_at FROM notifications
       WHERE user_id = ? ${page.after ? `AND ${page.after}` : ''}
       ORDER BY ${page.orderBy} LIMIT ?`,
    )
    .bind(userId, ...page.params, query.limit + 1)
    .all<NotificationRow>()
  return keysetPage(results, query.limit, toNotificationView, notificationOrder)
}

export function toNotificationView(r: NotificationRow): z.infer<typeof NotificationSchema> {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    body: r.body,
    data: JSON.parse(r.data) as Record<string, unknown>,
    created_at: iso(r.created_at),
    delivered_at: r.delivered_at === null ? null : iso(r.delivered_at),
  }
}

/** A person's reminders nobody has taken yet, oldest first (the household channel's phones). */
export async function pendingNotifications(
  d1: D1Database,
  userId: string,
  limit: number,
): Promise<NotificationRow[]> {
  const { results } = await d1
    .prepare(
      `SELECT id, kind, title, body, data, created_at, delivered_at FROM notifications
       WHERE user_id = ? AND delivered_at IS NULL ORDER BY created_at, id LIMIT ?`,
    )
    .bind(userId, limit)
    .all<NotificationRow>()
  return results
}

/** For a notifier (push service) draining the outbox: oldest undelivered first. */
export async function undeliveredNotifications(
  d1: D1Database,
  limit: number,
): Promise<(NotificationRow & { user_id: string })[]> {
  const { results } = await d1
    .prepare(
      `SELECT id, user_id, kind, title, body, data, created_at, delivered_at FROM notifications
       WHERE delivered_at IS NULL ORDER BY created_at LIMIT ?`,
    )
    .bind(limit)
    .all<NotificationRow & { user_id: string }>()
  return results
}

/** Marks pushed notifications; already delivered ones keep their first delivery time. */
export async function markDelivered(d1: D1Database, ids: string[], now: number): Promise<number> {
  if (ids.length === 0) return 0
  const res = await d1
    .prepare(
      `UPDATE notifications SET delivered_at = ?
       WHERE id IN (SELECT value FROM json_each(?)) AND delivered_at IS NULL`,
    )
    .bind(now, JSON.stringify(ids))
    .run()
  return res.meta.changes
}
