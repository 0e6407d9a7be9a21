import { ApiError } from '../http/errors'
import { errorText } from '../lib/d1-errors'
import { insertPaymentsStatement, type PaymentRow } from '../payments'
import {
  findDeal,
  findTeam,
  isJoinable,
  type DealRow,
  type ParticipationRow,
  type TeamRow,
} from './store'
import { teamIsOpen } from './teams'
import { iso } from '../lib/time'

/**
 * A join the deal's Durable Object granted: every row it adds to D1, fixed when granted (ids,
 * payment code, expiry, team code), so the statement that writes it can be sent again after a
 * lost answer and either writes it once or finds it already there.
 */
export type Grant = {
  participation: ParticipationRow
  payment: PaymentRow
  /** The team this join opened (written with members 0; the batch adds the place). */
  openedTeam: TeamRow | null
  /** The deal price the join was granted at: the D1 guard refuses it if the deal was repriced. */
  quotedPrice: number
}

const field = (name: string) => `json_extract(value, '$.${name}')`

/**
 * Writes a group of grants to D1 in one batch, whatever their number: each table gets one
 * statement whose rows travel as a JSON parameter. Every invariant keeps its SQL guard, so a
 * Durable Object whose view went stale (an admin edit, the cron closing the deal) cannot write
 * past them; the batch then fails whole and the object tells the grants apart (hot-deal.ts):
 * - a participation's unit_price (NOT NULL) is found only while the deal is open, inside its
 *   window, at the quoted price, and its team still forming;
 * - `reserved + units` trips CHECK deals_no_oversell;
 * - the deal_buyers upsert trips deal_buyers_within_limit (the deal's current max_per_user);
 * - team places trip CHECK members <= size, and the partial unique index refuses a second place
 *   for one person in one team.
 * Writing a grant that is already in D1 fails on its primary key and writes nothing.
 */
export function grantStatements(env: Env, dealId: string, grants: Grant[]): D1PreparedStatement[] {
  const d1 = env.DB
  const statements: D1PreparedStatement[] = []
  const opened = grants.flatMap((g) => (g.openedTeam ? [g.openedTeam] : []))
  if (opened.length > 0) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO deal_teams (id, deal_id, code, size, members, confirmed, phase,
             opened_by_user_id, opened_at, expires_at)
           SELECT ${field('id')}, ?1, ${field('code')}, ${field('size')}, 0, 0, 'forming',
             ${field('opened_by_user_id')}, ${field('opened_at')}, ${field('expires_at')}
           FROM json_each(?2)`,
        )
        .bind(dealId, JSON.stringify(opened)),
    )
  }
  const places = JSON.stringify(
    grants.map(({ participation: p, quotedPrice }) => ({
      id: p.id,
      user_id: p.user_id,
      device_id: p.started_by_device_id,
      team_id: p.team_id,
      quantity: p.quantity,
      price: quotedPrice,
      payment_id: p.payment_id,
      at: p.created_at,
    })),
  )
  const units = grants.reduce((n, g) => n + g.participation.quantity, 0)
  statements.push(
    d1
      .prepare(
        `INSERT INTO deal_participations (id, deal_id, user_id, started_by_device_id, team_id,
           quantity, unit_price, payment_id, status, created_at, updated_at)
         SELECT j.id, ?1, j.user_id, j.device_id, j.team_id, j.quantity,
           (SELECT deal_price FROM deals
            WHERE id = ?1 AND phase = 'open' AND starts_at <= j.at AND ends_at > j.at
              AND deal_price = j.price
              AND (j.team_id IS NULL OR EXISTS (
                SELECT 1 FROM deal_teams WHERE id = j.team_id AND deal_id = deals.id
                  AND phase = 'forming' AND expires_at > j.at))),
           j.payment_id, 'pending_payment', j.at, j.at
         FROM (SELECT ${field('id')} AS id, ${field('user_id')} AS user_id,
                 ${field('device_id')} AS device_id, ${field('team_id')} AS team_id,
                 ${field('quantity')} AS quantity, ${field('price')} AS price,
                 ${field('payment_id')} AS payment_id, ${field('at')} AS at
               FROM json_each(?2)) AS j`,
      )
      .bind(dealId, places),
    d1.prepare('UPDATE deals SET reserved = reserved + ? WHERE id = ?').bind(units, dealId),
    d1
      .prepare(
        `INSERT INTO deal_buyers (deal_id, user_id, units, max_units)
         SELECT ?1, ${field('user_id')}, SUM(${field('quantity')}),
           (SELECT max_per_user FROM deals WHERE id = ?1)
         FROM json_each(?2) WHERE true GROUP BY ${field('user_id')}
         ON CONFLICT (deal_id, user_id)
         DO UPDATE SET units = units + excluded.units, max_units = excluded.max_units`,
      )
      .bind(dealId, places),
  )
  const teamPlaces = grants.flatMap((g) =>
    g.participation.team_id ? [g.participation.team_id] : [],
  )
  if (teamPlaces.length > 0) {
    statements.push(
      d1
        .prepare(
          `UPDATE deal_teams SET members = members +
             (SELECT COUNT(*) FROM json_each(?1) WHERE value = deal_teams.id)
           WHERE id IN (SELECT value FROM json_each(?1))`,
        )
        .bind(JSON.stringify(teamPlaces)),
    )
  }
  statements.push(
    insertPaymentsStatement(
      env,
      grants.map((g) => g.payment),
    ),
  )
  return statements
}

/** The batch found its own rows already written: an earlier attempt committed it. */
export function alreadyWritten(err: unknown): boolean {
  return /UNIQUE constraint failed: (deal_participations|deal_teams|payments)\.id\b/.test(
    errorText(err),
  )
}

/** A constraint refused the batch: sending it again cannot succeed (as opposed to D1 failing). */
export function refusedByConstraint(err: unknown): boolean {
  return /(CHECK|UNIQUE|NOT NULL|FOREIGN KEY) constraint failed/.test(errorText(err))
}

export class TeamCodeTaken extends Error {}

/** Turns the constraint that refused one grant into the contract's error. */
export async function explainRefusal(
  env: Env,
  err: unknown,
  grant: Grant,
  quoted: DealRow,
): Promise<Error> {
  const text = errorText(err)
  const quantity = grant.participation.quantity
  if (/deal_teams\.code/.test(text)) return new TeamCodeTaken()
  if (/deals_no_oversell/.test(text)) {
    const deal = await findDeal(env.DB, quoted.id)
    return soldOut(deal ? deal.stock - deal.reserved - deal.sold : 0, quantity)
  }
  if (/deal_buyers_within_limit/.test(text)) {
    const deal = await findDeal(env.DB, quoted.id)
    return limitExceeded(deal?.max_per_user ?? quoted.max_per_user)
  }
  if (/deal_teams_members/.test(text)) return teamFull()
  if (/deal_participations\.team_id, deal_participations\.user_id|team_user_uq/.test(text)) {
    return alreadyInTeam()
  }
  if (/NOT NULL constraint failed: deal_participations\.unit_price/.test(text)) {
    const now = Date.now()
    const deal = await findDeal(env.DB, quoted.id)
    if (!deal || !isJoinable(deal, now)) return notActive(deal ?? quoted, now)
    const teamId = grant.participation.team_id
    const team = teamId && !grant.openedTeam ? await findTeam(env.DB, teamId) : null
    if (team && !teamIsOpen(team, now)) return teamClosed()
    if (deal.deal_price !== grant.quotedPrice) {
      return new ApiError('conflict', 'The deal price changed; join again')
    }
    return new ApiError('conflict', 'The deal changed while joining; join again')
  }
  return err instanceof Error ? err : new Error(text)
}

export function notActive(deal: DealRow, now: number): ApiError {
  const why = now < deal.starts_at ? 'has not started yet' : 'has ended'
  const when = { starts_at: iso(deal.starts_at), ends_at: iso(deal.ends_at) }
  return new ApiError('deal_not_active', `This deal ${why}`, when)
}

export function soldOut(remaining: number, wanted: number): ApiError {
  const left = Math.max(0, remaining)
  const detail = left === 0 ? 'This deal is sold out' : `Only ${left} units of this deal are left`
  return new ApiError('sold_out', detail, { stock_remaining: left, requested: wanted })
}

export function limitExceeded(max: number): ApiError {
  const detail = `At most ${max} units of this deal per person`
  return new ApiError('limit_exceeded', detail, { max_per_user: max })
}

export function teamClosed(): ApiError {
  return new ApiError('team_closed', 'This team is no longer taking members; open a new team')
}

export function teamFull(): ApiError {
  return new ApiError('team_full', 'This team is full; open a new team')
}

export function alreadyInTeam(): ApiError {
  return new ApiError('already_in_team', 'You already have a place in this team')
}
