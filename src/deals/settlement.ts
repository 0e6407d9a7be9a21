/**
 * The deciding half of group-buy settlement, run by the cron (scheduleSettlement in
 * settlement-queue.ts, which then enqueues the money's moves for the settlement queue). Each step
 * leaves the database consistent, so a crash anywhere loses nothing and a second (or overlapping)
 * run only finds less to do.
 */

import { catalogChanged } from './catalog-link'

const CLOSE_PER_TICK = 50
const TEAMS_PER_TICK = 500

/**
 * Decides ended deals. A confirmation racing with this cannot tip a closed deal (its tipping
 * UPDATE requires phase 'open'), and this cannot fail a deal that tipped first (tipped_at IS NULL),
 * whichever commits first.
 */
export async function closeEndedDeals(env: Env, now: number): Promise<number> {
  const { results } = await env.DB.prepare(
    `SELECT id FROM deals WHERE phase = 'open' AND ends_at <= ? ORDER BY ends_at LIMIT ?`,
  )
    .bind(now, CLOSE_PER_TICK)
    .all<{ id: string }>()
  if (results.length === 0) return 0
  const close = env.DB.prepare(
    `UPDATE deals SET phase = CASE WHEN tipped_at IS NULL THEN 'failed' ELSE 'succeeded' END,
       closed_at = ?, updated_at = ?
     WHERE id = ? AND phase = 'open' AND ends_at <= ?`,
  )
  // Teams' windows end with their deal's (admin edits keep it so); failing the forming ones here
  // too makes the deal's close and its teams' fate one write.
  const failTeams = env.DB.prepare(
    `UPDATE deal_teams SET phase = 'failed', closed_at = ? WHERE deal_id = ? AND phase = 'forming'`,
  )
  const statements = results.flatMap((d) => [
    close.bind(now, now, d.id, now),
    failTeams.bind(now, d.id),
  ])
  const outcomes = await env.DB.batch([...statements, ...catalogChanged(env)])
  const closes = outcomes.filter((_, i) => i < statements.length && i % 2 === 0)
  return closes.reduce((n, r) => n + r.meta.changes, 0)
}

/** Teams whose own window passed before they filled. */
export async function failExpiredTeams(env: Env, now: number): Promise<number> {
  const res = await env.DB.prepare(
    `UPDATE deal_teams SET phase = 'failed', closed_at = ?
     WHERE id IN (SELECT id FROM deal_teams WHERE phase = 'forming' AND expires_at <= ? LIMIT ?)`,
  )
    .bind(now, now, TEAMS_PER_TICK)
    .run()
  return res.meta.changes
}

/** reserved counts exactly the units of open places, so 0 means nothing is left to settle. */
export async function markSettled(d1: D1Database, now: number): Promise<number> {
  const res = await d1
    .prepare(
      `UPDATE deals SET settled_at = ?
       WHERE phase <> 'open' AND settled_at IS NULL AND reserved = 0`,
    )
    .bind(now)
    .run()
  return res.meta.changes
}
