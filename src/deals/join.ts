import type { z } from '@hono/zod-openapi'
import type { Principal } from '../env'
import { readAtLeast } from '../http/d1-session'
import { ApiError, tryAgainIn } from '../http/errors'
import { money } from '../lib/money'
import { iso } from '../lib/time'
import { type Payment, paymentStarted, toPayment } from '../payments'
import { hotDeal, type JoinOutcome } from './hot-deal'
import type { ParticipationSchema } from './schemas'
import type { ParticipationRow, TeamRow } from './store'
import { toTeamView } from './teams'

export type JoinInput = { quantity: number; teamCode?: string; idempotencyKey?: string }

export type Joined = { participation: ParticipationRow; team: TeamRow | null; payment: Payment }

/**
 * Joins a deal: its Durable Object decides against the live counters (units, the per-person
 * cap, team places) and answers once the participation, the unit reservation, the cap, the team
 * place and the payment (manual capture) are in D1, written with other joins in one batch that
 * keeps every SQL guard (src/deals/hot-deal.ts, src/deals/grants.ts). One round trip from here.
 */
export async function joinDeal(
  env: Env,
  principal: Principal,
  dealId: string,
  input: JoinInput,
  now: number,
): Promise<Joined> {
  const outcome = (await hotDeal(env, dealId).join(dealId, {
    principal,
    quantity: input.quantity,
    teamCode: input.teamCode,
    idempotencyKey: input.idempotencyKey,
    now,
  })) as JoinOutcome
  if (!outcome.ok) {
    if (outcome.code === 'deal_unavailable') {
      throw tryAgainIn(1, outcome.code, outcome.detail ?? 'Try again in a moment', outcome.extra)
    }
    throw new ApiError(outcome.code, outcome.detail, outcome.extra)
  }
  const { grant, team } = outcome.joined
  // The object wrote through its own D1 session: this request (its x-d1-bookmark, its reads)
  // is at least as fresh, so the TV that sends the bookmark back reads its place on any replica.
  readAtLeast(env.DB, outcome.bookmark)
  const payment = toPayment(grant.payment)
  // The object answers after the group commit: the payment is in D1, the phones may hear of it,
  // once per place (a retry with the same Idempotency-Key gets the place without a new push).
  if (outcome.announce) await paymentStarted(env, payment)
  return { participation: grant.participation, payment, team }
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
