import type { z } from '@hono/zod-openapi'
import type { Principal } from '../env'
import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
import { money } from '../lib/money'
import { iso } from '../lib/time'
import { newPaymentStatements, type Payment, paymentStarted } from '../payments'
import { errorText } from '../lib/d1-errors'
import type { ParticipationSchema } from './schemas'
import {
  findDeal,
  findTeam,
  isJoinable,
  type DealRow,
  type ParticipationRow,
  type TeamRow,
} from './store'
import { findTeamByCode, newTeamCode, teamIsOpen, toTeamView } from './teams'

export type JoinInput = { quantity: number; teamCode?: string }

export type Joined = { participation: ParticipationRow; team: TeamRow | null; payment: Payment }

/**
 * Joins a deal: the participation, the unit reservation, the per-user cap, the team place and the
 * payment (manual capture) commit in one batch or not at all. Each invariant is guarded in SQL, so
 * no interleaving of concurrent joins can break it:
 * - the participation's unit_price (NOT NULL) comes from a subquery that finds the deal only while
 *   it is open, inside its window, at the quoted price, and (team deals) the team still forming;
 * - `reserved = reserved + ?` trips the CHECK deals_no_oversell (reserved + sold <= stock);
 * - the deal_buyers upsert trips deal_buyers_within_limit (units <= max_per_user);
 * - the team's `members + 1` trips deal_teams_members (members <= size), and the partial unique
 *   index deal_participations_team_user_uq refuses a second place for the same person.
 */
export async function joinDeal(
  env: Env,
  principal: Principal,
  dealId: string,
  input: JoinInput,
  now: number,
): Promise<Joined> {
  const deal = await findDeal(env.DB, dealId)
  if (!deal) throw new ApiError('not_found', 'No such deal')
  if (!isJoinable(deal, now)) throw notActive(deal, now)
  const remaining = deal.stock - deal.reserved - deal.sold
  if (remaining < input.quantity) throw soldOut(remaining, input.quantity)
  if (!Number.isSafeInteger(deal.deal_price * input.quantity)) {
    throw new ApiError('validation_failed', 'quantity: the total is more than a payment can hold', {
      errors: [{ path: 'quantity', message: 'the total price is too large' }],
    })
  }
  if (deal.mode === 'group' && input.teamCode !== undefined) {
    throw new ApiError('validation_failed', 'team_code: only team deals have teams', {
      errors: [{ path: 'team_code', message: 'only for team deals' }],
    })
  }
  let existingTeam: TeamRow | null = null
  if (deal.mode === 'team' && input.teamCode !== undefined) {
    existingTeam = await findTeamByCode(env.DB, deal.id, input.teamCode)
    if (!teamIsOpen(existingTeam, now)) throw teamClosed()
    if (existingTeam.members >= existingTeam.size) throw teamFull()
  }
  // A team code can collide with an existing one (1 in ~10^8 per open team): draw again.
  for (let attempt = 0; ; attempt++) {
    try {
      return await reserve(env, principal, deal, input.quantity, existingTeam, now)
    } catch (err) {
      if (!(err instanceof TeamCodeTaken) || attempt >= 2) throw err
    }
  }
}

class TeamCodeTaken extends Error {}

async function reserve(
  env: Env,
  principal: Principal,
  deal: DealRow,
  quantity: number,
  existingTeam: TeamRow | null,
  now: number,
): Promise<Joined> {
  const d1 = env.DB
  const participationId = newId('participation')
  const payment = newPaymentStatements(env, {
    purpose: { type: 'deal', id: participationId },
    userId: principal.userId,
    startedBy: principal,
    amount: deal.deal_price * quantity,
    capture: 'manual',
    payee: { kind: 'merchant' },
    now,
  })
  const statements: D1PreparedStatement[] = []
  let teamId: string | null = existingTeam?.id ?? null
  if (deal.mode === 'team' && !existingTeam) {
    teamId = newId('team')
    const teamEnds = Math.min(now + deal.team_window_ms!, deal.ends_at)
    statements.push(
      d1
        .prepare(
          `INSERT INTO deal_teams (id, deal_id, code, size, members, confirmed, phase,
             opened_by_user_id, opened_at, expires_at)
           VALUES (?, ?, ?, ?, 0, 0, 'forming', ?, ?, ?)`,
        )
        .bind(teamId, deal.id, newTeamCode(), deal.team_size, principal.userId, now, teamEnds),
    )
  }
  statements.push(
    d1
      .prepare(
        `INSERT INTO deal_participations (id, deal_id, user_id, started_by_device_id, team_id,
           quantity, unit_price, payment_id, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?,
           (SELECT deal_price FROM deals
            WHERE id = ? AND phase = 'open' AND starts_at <= ? AND ends_at > ? AND deal_price = ?
              AND (? IS NULL OR EXISTS (SELECT 1 FROM deal_teams WHERE id = ? AND deal_id = deals.id
                                        AND phase = 'forming' AND expires_at > ?))),
           ?, 'pending_payment', ?, ?)`,
      )
      .bind(
        participationId,
        deal.id,
        principal.userId,
        principal.kind === 'device' ? principal.deviceId : null,
        teamId,
        quantity,
        deal.id,
        now,
        now,
        deal.deal_price,
        teamId,
        teamId,
        now,
        payment.paymentId,
        now,
        now,
      ),
    d1.prepare('UPDATE deals SET reserved = reserved + ? WHERE id = ?').bind(quantity, deal.id),
    d1
      .prepare(
        `INSERT INTO deal_buyers (deal_id, user_id, units, max_units)
         VALUES (?, ?, ?, (SELECT max_per_user FROM deals WHERE id = ?))
         ON CONFLICT (deal_id, user_id)
         DO UPDATE SET units = units + excluded.units, max_units = excluded.max_units`,
      )
      .bind(deal.id, principal.userId, quantity, deal.id),
  )
  if (teamId) {
    const takePlace = 'UPDATE deal_teams SET members = members + 1 WHERE id = ?'
    statements.push(d1.prepare(takePlace).bind(teamId))
  }
  statements.push(...payment.statements)
  // Read back what was written in the same round trip: a join is two D1 calls, the read and this.
  const readBack = [
    d1.prepare('SELECT * FROM deal_participations WHERE id = ?').bind(participationId),
    d1.prepare('SELECT * FROM deal_teams WHERE id = ?').bind(teamId),
  ]

  let results: D1Result[]
  try {
    results = await d1.batch([...statements, ...readBack])
  } catch (err) {
    throw await explainRefusal(env, err, deal, quantity, teamId)
  }
  const [participation, team] = results.slice(-2)
  await paymentStarted(env, payment.payment)
  return {
    participation: participation!.results[0] as ParticipationRow,
    payment: payment.payment,
    team: (team!.results[0] as TeamRow | undefined) ?? null,
  }
}

/** Turns the constraint that aborted the batch into the contract's error. */
async function explainRefusal(
  env: Env,
  err: unknown,
  quoted: DealRow,
  quantity: number,
  teamId: string | null,
): Promise<Error> {
  const text = errorText(err)
  if (/deal_teams\.code/.test(text)) return new TeamCodeTaken()
  if (/deals_no_oversell/.test(text)) {
    const deal = await findDeal(env.DB, quoted.id)
    return soldOut(deal ? deal.stock - deal.reserved - deal.sold : 0, quantity)
  }
  if (/deal_buyers_within_limit/.test(text)) {
    const max = quoted.max_per_user
    const detail = `At most ${max} units of this deal per person`
    return new ApiError('limit_exceeded', detail, { max_per_user: max })
  }
  if (/deal_teams_members/.test(text)) return teamFull()
  if (/deal_participations\.team_id, deal_participations\.user_id|team_user_uq/.test(text)) {
    return new ApiError('already_in_team', 'You already have a place in this team')
  }
  if (/NOT NULL constraint failed: deal_participations\.unit_price/.test(text)) {
    const now = Date.now()
    const deal = await findDeal(env.DB, quoted.id)
    if (!deal || !isJoinable(deal, now)) return notActive(deal ?? quoted, now)
    const team = teamId ? await findTeam(env.DB, teamId) : null
    if (team && !teamIsOpen(team, now)) return teamClosed()
    if (deal.deal_price !== quoted.deal_price) {
      return new ApiError('conflict', 'The deal price changed; join again')
    }
    return new ApiError('conflict', 'The deal changed while joining; join again')
  }
  return err instanceof Error ? err : new Error(text)
}

function notActive(deal: DealRow, now: number): ApiError {
  const why = now < deal.starts_at ? 'has not started yet' : 'has ended'
  const when = { starts_at: iso(deal.starts_at), ends_at: iso(deal.ends_at) }
  return new ApiError('deal_not_active', `This deal ${why}`, when)
}

function soldOut(remaining: number, wanted: number): ApiError {
  const left = Math.max(0, remaining)
  const detail = left === 0 ? 'This deal is sold out' : `Only ${left} units of this deal are left`
  return new ApiError('sold_out', detail, { stock_remaining: left, requested: wanted })
}

function teamClosed(): ApiError {
  return new ApiError('team_closed', 'This team is no longer taking members; open a new team')
}

function teamFull(): ApiError {
  return new ApiError('team_full', 'This team is full; open a new team')
}

export type ParticipationView = z.infer<typeof ParticipationSchema>

export function toParticipationView(
  p: ParticipationRow,
  team: TeamRow | null,
  now: number,
): ParticipationView {
  return {
    id: p.id,
    deal_id: p.deal_id,
    status: p.status,
    quantity: p.quantity,
    unit_price: money(p.unit_price),
    amount: money(p.unit_price * p.quantity),
    team: team ? toTeamView(team, now) : null,
    order_id: p.order_id,
    created_at: iso(p.created_at),
  }
}
