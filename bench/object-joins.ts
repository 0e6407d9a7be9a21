// Bench-only route (bench bundle only): the deal's Durable Object on its own, without HTTP, token
// checks or Hono in front. `count` joins reach the object by RPC from the Worker, `inFlight` at a
// time, each a different person in turn, and are answered after their group commit to D1, as in
// the API. The baseline is the same number of RPCs to an idle deal's object (counters(): no
// place, no D1) at the same concurrency, in ABBA blocks. In production the Worker side of a join
// (token, session, routing) runs on many isolates at once while a deal's joins all meet in its
// one object: this is the part of a join that does not scale out.
import { hotDeal, type JoinOutcome } from '../src/deals/hot-deal'
import { quantile } from './quantile'

export type ObjectJoins = {
  deal_id: string
  idle_deal_id: string
  user_ids: string[]
  count: number
  in_flight: number
}

type Block = { micros: number[]; ms: number; refused: Record<string, number> }

async function block(inFlight: number, count: number, call: () => Promise<string | null>) {
  const micros: number[] = []
  const refused: Record<string, number> = {}
  let left = count
  const started = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (left-- > 0) {
        const t0 = performance.now()
        const code = await call()
        // Workers' clock moves only with I/O, so a per-call time is at best the I/O's: the
        // block's wall time (between two I/Os) is what the rate is computed from.
        micros.push((performance.now() - t0) * 1000)
        if (code) refused[code] = (refused[code] ?? 0) + 1
      }
    }),
  )
  return { micros, ms: performance.now() - started, refused } satisfies Block
}

/** One unit of the deal for `userId`, asked of the deal's object as the API's join asks it. */
export async function joinOneUnit(
  deal: ReturnType<typeof hotDeal>,
  dealId: string,
  userId: string,
): Promise<JoinOutcome> {
  const request = { principal: { kind: 'user' as const, userId }, quantity: 1, now: Date.now() }
  return (await deal.join(dealId, request)) as JoinOutcome
}

export async function objectJoins(env: Env, body: ObjectJoins) {
  const deal = hotDeal(env, body.deal_id)
  const idle = hotDeal(env, body.idle_deal_id)
  let n = 0
  const join = async () => {
    const userId = body.user_ids[n++ % body.user_ids.length]!
    const outcome = await joinOneUnit(deal, body.deal_id, userId)
    return outcome.ok ? null : outcome.code
  }
  const ping = async () => {
    await idle.counters(body.idle_deal_id)
    return null
  }
  const joins: Block[] = []
  const baseline: Block[] = []
  await block(body.in_flight, body.in_flight, ping)
  await block(body.in_flight, body.in_flight, join)
  baseline.push(await block(body.in_flight, body.count, ping))
  joins.push(await block(body.in_flight, body.count, join))
  joins.push(await block(body.in_flight, body.count, join))
  baseline.push(await block(body.in_flight, body.count, ping))
  return { joins: summary(joins), baseline: summary(baseline) }
}

function summary(blocks: Block[]) {
  const micros = blocks.flatMap((b) => b.micros).sort((a, b) => a - b)
  const at = (q: number) => quantile(micros, q)
  const refused: Record<string, number> = {}
  for (const b of blocks)
    for (const [k, v] of Object.entries(b.refused)) refused[k] = (refused[k] ?? 0) + v
  const ms = blocks.reduce((s, b) => s + b.ms, 0)
  return {
    calls: micros.length,
    perSecond: (micros.length * 1000) / ms,
    p50Ms: at(0.5) / 1000,
    p99Ms: at(0.99) / 1000,
    refused,
  }
}
