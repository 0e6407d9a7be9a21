import { capturePayment, releasePayment, type Purposes } from '../payments'
import { errorText } from '../lib/d1-errors'
import { catalogChanged } from './catalog-link'

/**
 * Payments captured or released per tick. Each costs about a dozen D1 queries (read, transition
 * batch, purpose statements), so 40 keeps a tick near 500 of the 1000 queries a Worker invocation
 * may make, leaving room for the other cron tasks; a large deal simply continues next tick.
 */
export const SETTLEMENT_BUDGET = 40
const CLOSE_PER_TICK = 50
const TEAMS_PER_TICK = 500

export type SettlementReport = {
  closed: number
  teams_failed: number
  captured: number
  released: number
  settled: number
  errors: number
}

/**
 * The cron's settlement of group-buy deals, in steps that each leave the database consistent, so a
 * crash anywhere loses nothing and a second (or overlapping) run only finds less to do:
 * 1. close deals whose window ended: phase succeeded if they tipped, failed if not;
 * 2. fail teams whose window ended before they filled;
 * 3. capture the holds of tipped deals and filled teams;
 * 4. release the holds of failed deals and failed teams, and cancel payments still awaiting
 *    confirmation on closed deals;
 * 5. mark closed deals with nothing left open as settled.
 * Captures and releases go through payments' capturePayment / releasePayment, one payment per
 * batch, each idempotent: two runs racing for the same payment move its money once (the
 * transition's version guard and the ledger's unique dedupe keys), and the loser reports no change.
 */
export async function settleDeals(
  env: Env,
  purposes: Purposes,
  now: number,
  budget = SETTLEMENT_BUDGET,
): Promise<SettlementReport> {
  const report: SettlementReport = {
    closed: 0,
    teams_failed: 0,
    captured: 0,
    released: 0,
    settled: 0,
    errors: 0,
  }
  report.closed = await closeEndedDeals(env, now)
  report.teams_failed = await failExpiredTeams(env, now)

  for (const paymentId of await dueCaptures(env.DB, budget)) {
    await attempt(report, 'capture', paymentId, async () => {
      if ((await capturePayment(env, purposes, paymentId, now)).changed) report.captured++
    })
  }
  const left = budget - report.captured - report.errors
  for (const paymentId of await dueReleases(env.DB, Math.max(0, left))) {
    await attempt(report, 'release', paymentId, async () => {
      if ((await releasePayment(env, purposes, paymentId, now)).changed) report.released++
    })
  }
  report.settled = await markSettled(env.DB, now)
  return report
}

async function attempt(
  report: SettlementReport,
  action: string,
  paymentId: string,
  run: () => Promise<void>,
) {
  try {
    await run()
  } catch (err) {
    // One stuck payment (a gateway down) must not stop the rest; the next tick retries it.
    report.errors++
    const event = { cron: 'deals.settlement', action, payment: paymentId }
    console.error(JSON.stringify({ ...event, error: errorText(err) }))
  }
}

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

/**
 * The work queries. CROSS JOIN pins the join order (SQLite never reorders it): walk the few deals
 * or teams with open units through their partial index, then their places by (deal|team, status);
 * left to itself the planner may scan every participation ever made.
 */
export const WORK_SQL = {
  /** Held payments to capture: confirmed places in tipped group deals and in filled teams. */
  captures: `SELECT p.payment_id FROM deals d
    CROSS JOIN deal_participations p ON p.deal_id = d.id AND p.status = 'confirmed'
    LEFT JOIN deal_teams t ON t.id = p.team_id
    WHERE d.reserved > 0 AND d.tipped_at IS NOT NULL AND d.phase <> 'failed'
      AND (d.mode = 'group' OR t.phase = 'filled')
    LIMIT ?`,
  /** Every open place of a failed deal; places still awaiting confirmation on a closed deal. */
  dealReleases: `SELECT p.payment_id FROM deals d
    CROSS JOIN deal_participations p
      ON p.deal_id = d.id AND p.status IN ('pending_payment', 'confirmed')
    WHERE d.reserved > 0 AND d.phase <> 'open'
      AND (d.phase = 'failed' OR p.status = 'pending_payment')
    LIMIT ?`,
  /** Every open place of a failed team. */
  teamReleases: `SELECT p.payment_id FROM deal_teams t
    CROSS JOIN deal_participations p
      ON p.team_id = t.id AND p.status IN ('pending_payment', 'confirmed')
    WHERE t.phase = 'failed' AND t.members > 0
    LIMIT ?`,
}

export async function dueCaptures(d1: D1Database, limit: number): Promise<string[]> {
  if (limit <= 0) return []
  const { results } = await d1.prepare(WORK_SQL.captures).bind(limit).all<{ payment_id: string }>()
  return results.map((r) => r.payment_id)
}

export async function dueReleases(d1: D1Database, limit: number): Promise<string[]> {
  if (limit <= 0) return []
  const [deals, teams] = await d1.batch<{ payment_id: string }>([
    d1.prepare(WORK_SQL.dealReleases).bind(limit),
    d1.prepare(WORK_SQL.teamReleases).bind(limit),
  ])
  const ids = new Set([...deals!.results, ...teams!.results].map((r) => r.payment_id))
  return [...ids].slice(0, limit)
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
