// Bench-only routes (bench bundle only): the ceiling of a join over HTTP on this machine. A
// request to /__bench/direct-join reaches the deal's Durable Object straight from the Worker's
// fetch, with nothing else in front (no Hono, token, session read, access log or push to the
// phones), and is answered once the object's group commit to D1 is done, as a real join is.
// /__bench/echo is the same request shape with nothing behind it (parse the body, answer).
// Whatever the API's join does on top of these two, it cannot go faster than direct-join.
import { hotDeal } from '../src/deals/hot-deal'
import { joinOneUnit } from './object-joins'

export type DirectJoin = { deal_id: string; user_id: string }

export async function directJoin(env: Env, body: DirectJoin): Promise<Response> {
  const outcome = await joinOneUnit(hotDeal(env, body.deal_id), body.deal_id, body.user_id)
  if (!outcome.ok) return Response.json({ code: outcome.code }, { status: 409 })
  return Response.json({ id: outcome.joined.grant.participation.id }, { status: 201 })
}

export async function echo(request: Request): Promise<Response> {
  const body = (await request.json()) as DirectJoin
  return Response.json({ id: body.user_id }, { status: 201 })
}
