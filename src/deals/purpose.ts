import { ApiError } from '../http/errors'
import type { Payment, PaymentStatus, PurposeHandler, Purposes } from '../payments'
import {
  findDeal,
  findParticipation,
  findParticipations,
  findTeam,
  isJoinable,
  type ParticipationRow,
} from './store'
import { hotDeal } from './hot-deal'
import { enqueueFromRequest } from './settlement-queue'
import { orderStatements } from './orders'
import { teamIsOpen } from './teams'

/** Participation statuses that still hold units (and count against stock and the per-user cap). */
const OPEN = `status IN ('pending_payment', 'confirmed')`

/**
 * Deals are the purpose 'deal' (purpose id = participation id). Every statement below runs in the
 * payment's own transition batch, which commits at most once per transition (the payments version
 * guard), and is itself guarded by the participation's status, so counters never move twice.
 *   requires_capture  → participation confirmed; the deal's participants + 1, tipping it when they
 *                       reach min_group_size; a team's confirmed + 1, filling it at team_size
 *   succeeded         → (captured) reserved units become sold, the participation is paid and its
 *                       order is created
 *   canceled, expired, failed → units, cap and team place given back; participation released
 *   (partially_)refunded → participation refunded (units stay sold: goods come back outside tvpay)
 */
export const dealPurpose: PurposeHandler = {
  async onTransition(env, payment, to, now) {
    const participation = await findParticipation(env.DB, payment.purpose.id)
    return statementsFor(env, participationOf(participation, payment), payment, to, now)
  },

  async onTransitions(env, payments, to, now) {
    const places = await findParticipations(
      env.DB,
      payments.map((p) => p.purpose.id),
    )
    return payments.map((payment) => {
      const participation = places.get(payment.purpose.id) ?? null
      return statementsFor(env, participationOf(participation, payment), payment, to, now)
    })
  },

  async beforeConfirm(env, payment, input) {
    const participation = await findParticipation(env.DB, payment.purpose.id)
    if (!participation || participation.status !== 'pending_payment') {
      throw new ApiError('payment_not_confirmable', 'This deal place is no longer awaiting payment')
    }
    const now = Date.now()
    const deal = await findDeal(env.DB, participation.deal_id)
    if (!deal || !isJoinable(deal, now)) {
      throw new ApiError('deal_not_active', 'This deal has ended')
    }
    if (participation.team_id) {
      const team = await findTeam(env.DB, participation.team_id)
      if (!team || !teamIsOpen(team, now)) {
        throw new ApiError('team_closed', 'This team did not fill in time')
      }
    }
    if (!input.shippingAddress) return []
    return [
      env.DB.prepare(
        `UPDATE deal_participations SET shipping_address = ?
         WHERE id = ? AND status = 'pending_payment'`,
      ).bind(JSON.stringify(input.shippingAddress), participation.id),
    ]
  },

  /**
   * Captures never run in the confirming request: they are enqueued (settlement-queue.ts). The
   * confirmation that tips a group deal enqueues the whole deal, one on a deal that already
   * tipped its own capture, and the one that fills a team every member's capture. Best effort:
   * the cron enqueues whatever this misses.
   */
  async afterTransition(env, payment, to, now) {
    if (RELEASING.has(to)) return unitsReleased(env, payment.purpose.id)
    if (to !== 'requires_capture') return
    const participation = await findParticipation(env.DB, payment.purpose.id)
    if (!participation) return
    if (participation.team_id) {
      const members = await filledTeamHolds(env, participation.team_id)
      const captures = members.map((paymentId) => ({ kind: 'capture' as const, paymentId }))
      return enqueueFromRequest(env, captures)
    }
    const deal = await findDeal(env.DB, participation.deal_id)
    if (!deal || deal.tipped_at === null || deal.phase === 'failed') return
    const tippedNow = deal.tipped_at === now
    return enqueueFromRequest(env, [
      tippedNow
        ? { kind: 'settle-deal', dealId: deal.id }
        : { kind: 'capture', paymentId: payment.id },
    ])
  },
}

const RELEASING = new Set<PaymentStatus>(['canceled', 'expired', 'failed'])

function participationOf(p: ParticipationRow | null, payment: Payment): ParticipationRow {
  if (!p) throw new Error(`no deal participation ${payment.purpose.id} for payment ${payment.id}`)
  return p
}

function statementsFor(
  env: Env,
  participation: ParticipationRow,
  payment: Payment,
  to: PaymentStatus,
  now: number,
): D1PreparedStatement[] {
  if (to === 'requires_capture') return confirmStatements(env, participation, now)
  if (to === 'succeeded') return captureStatements(env, participation, payment, now)
  if (to === 'refunded' || to === 'partially_refunded') {
    return [
      env.DB.prepare(
        `UPDATE deal_participations SET status = 'refunded', updated_at = ?
         WHERE id = ? AND status IN ('paid', 'refunded')`,
      ).bind(now, participation.id),
    ]
  }
  if (RELEASING.has(to)) return releaseStatements(env, participation, now)
  return []
}

/**
 * The deal's Durable Object counts units, caps and team places apart from D1: a place D1 just
 * released gives them back there too. A lost notice is found by the object's own reconciliation.
 */
async function unitsReleased(env: Env, participationId: string): Promise<void> {
  const participation = await findParticipation(env.DB, participationId)
  if (!participation || participation.status !== 'released') return
  await hotDeal(env, participation.deal_id).released(participation.deal_id, [participation.id])
}

function confirmStatements(env: Env, p: ParticipationRow, now: number): D1PreparedStatement[] {
  const d1 = env.DB
  const isPending = `EXISTS (SELECT 1 FROM deal_participations
                             WHERE id = ? AND status = 'pending_payment')`
  const statements = [
    // A deal that settlement already failed never tips: its holds are released instead.
    d1
      .prepare(
        `UPDATE deals SET participants = participants + 1,
           tipped_at = CASE WHEN tipped_at IS NULL AND phase = 'open' AND mode = 'group'
                                 AND participants + 1 >= min_group_size
                            THEN ? ELSE tipped_at END
         WHERE id = ? AND ${isPending}`,
      )
      .bind(now, p.deal_id, p.id),
  ]
  if (p.team_id) {
    // SET expressions all read the row as it was: `confirmed + 1` is the count after this one.
    const fills = `phase = 'forming' AND confirmed + 1 >= size AND expires_at > ?`
    statements.push(
      d1
        .prepare(
          `UPDATE deal_teams SET confirmed = confirmed + 1,
             phase = CASE WHEN ${fills} THEN 'filled' ELSE phase END,
             filled_at = CASE WHEN ${fills} THEN ? ELSE filled_at END,
             closed_at = CASE WHEN ${fills} THEN ? ELSE closed_at END
           WHERE id = ? AND ${isPending}`,
        )
        .bind(now, now, now, now, now, p.team_id, p.id),
      // A team deal tips with its first filled team.
      d1
        .prepare(
          `UPDATE deals SET tipped_at = ? WHERE id = ? AND tipped_at IS NULL AND phase = 'open'
             AND EXISTS (SELECT 1 FROM deal_teams WHERE id = ? AND phase = 'filled')`,
        )
        .bind(now, p.deal_id, p.team_id),
    )
  }
  statements.push(
    d1
      .prepare(
        `UPDATE deal_participations SET status = 'confirmed', confirmed_at = ?, updated_at = ?
         WHERE id = ? AND status = 'pending_payment'`,
      )
      .bind(now, now, p.id),
  )
  return statements
}

function captureStatements(
  env: Env,
  p: ParticipationRow,
  payment: Payment,
  now: number,
): D1PreparedStatement[] {
  const d1 = env.DB
  const { orderId, statements: order } = orderStatements(env, p, payment, now)
  return [
    d1
      .prepare(
        `UPDATE deals SET reserved = reserved - ?, sold = sold + ?
         WHERE id = ?
           AND EXISTS (SELECT 1 FROM deal_participations WHERE id = ? AND status = 'confirmed')`,
      )
      .bind(p.quantity, p.quantity, p.deal_id, p.id),
    ...order,
    d1
      .prepare(
        `UPDATE deal_participations SET status = 'paid', order_id = ?, closed_at = ?, updated_at = ?
         WHERE id = ? AND status = 'confirmed'`,
      )
      .bind(orderId, now, now, p.id),
  ]
}

function releaseStatements(env: Env, p: ParticipationRow, now: number): D1PreparedStatement[] {
  const d1 = env.DB
  const stillOpen = `EXISTS (SELECT 1 FROM deal_participations WHERE id = ? AND ${OPEN})`
  const wasConfirmed = `(SELECT COUNT(*) FROM deal_participations
                         WHERE id = ? AND status = 'confirmed')`
  const statements = [
    d1
      .prepare(
        `UPDATE deals SET reserved = reserved - ?, participants = participants - ${wasConfirmed}
         WHERE id = ? AND ${stillOpen}`,
      )
      .bind(p.quantity, p.id, p.deal_id, p.id),
    d1
      .prepare(
        `UPDATE deal_buyers SET units = units - ?
         WHERE deal_id = ? AND user_id = ? AND ${stillOpen}`,
      )
      .bind(p.quantity, p.deal_id, p.user_id, p.id),
  ]
  if (p.team_id) {
    statements.push(
      d1
        .prepare(
          `UPDATE deal_teams SET members = members - 1, confirmed = confirmed - ${wasConfirmed}
           WHERE id = ? AND ${stillOpen}`,
        )
        .bind(p.id, p.team_id, p.id),
    )
  }
  statements.push(
    d1
      .prepare(
        `UPDATE deal_participations SET status = 'released', closed_at = ?, updated_at = ?
         WHERE id = ? AND ${OPEN}`,
      )
      .bind(now, now, p.id),
  )
  return statements
}

/** The held payments of a team that has filled (none while it is still forming). */
async function filledTeamHolds(env: Env, teamId: string): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT p.payment_id FROM deal_teams t
     JOIN deal_participations p ON p.team_id = t.id AND p.status = 'confirmed'
     WHERE t.id = ? AND t.phase = 'filled'`,
  )
    .bind(teamId)
    .all<{ payment_id: string }>()
  return results.map((r) => r.payment_id)
}
