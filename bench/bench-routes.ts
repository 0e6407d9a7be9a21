// Bench-only routes, in the bench bundle only (bench/worker.js), never in the production Worker:
// they build states that would take minutes through the public API (10,000 confirmed holds on one
// deal, each a person with a PIN-checked confirmation) out of the same functions the API runs.
import { joinDeal } from '../src/deals/join'
import { enqueueSettlement } from '../src/deals/settlement-queue'
import { newId } from '../src/lib/ids'
import { fundsOf, holdTransfer } from '../src/payments/funds'
import { findPayment } from '../src/payments/store'
import { transition } from '../src/payments/transitions'
import { creditWallet } from '../src/payments/wallet'
import { purposes } from '../src/wiring'

type SeedHolds = { deal_id: string; count: number; concurrency?: number }

/**
 * `count` new people each join the deal (through its Durable Object, as the API does) and hold
 * the price from their wallet (the confirmation's transition, without the PIN): what settlement
 * then has to capture or release.
 */
async function seedHolds(env: Env, body: SeedHolds) {
  const started = Date.now()
  const one = async () => {
    const userId = newId('user')
    const now = Date.now()
    await env.DB.prepare(
      'INSERT INTO users (id, phone, password_hash, created_at) VALUES (?, ?, ?, ?)',
    )
      .bind(userId, `+86bench${userId.slice(-12)}`, 'pbkdf2-sha256$1$x$x', now)
      .run()
    await creditWallet(env, userId, 1_000_000, 'bench', now)
    const principal = { kind: 'user' as const, userId }
    const joined = await joinDeal(env, principal, body.deal_id, { quantity: 1 }, now)
    const payment = (await findPayment(env.DB, joined.payment.id))!
    await transition(env, purposes, payment, 'requires_capture', Date.now(), {
      transfers: [holdTransfer(payment, fundsOf(payment, 'wallet'))],
      set: { method: 'wallet' },
    })
  }
  let left = body.count
  const lanes = Array.from({ length: body.concurrency ?? 16 }, async () => {
    while (left-- > 0) await one()
  })
  await Promise.all(lanes)
  return { held: body.count, ms: Date.now() - started }
}

export async function benchRoute(request: Request, env: Env): Promise<Response | null> {
  const { pathname } = new URL(request.url)
  if (request.method !== 'POST') return null
  if (pathname === '/__bench/seed-holds') {
    return Response.json(await seedHolds(env, (await request.json()) as SeedHolds))
  }
  if (pathname === '/__bench/settle-deal') {
    const { deal_id } = (await request.json()) as { deal_id: string }
    await enqueueSettlement(env, [{ kind: 'settle-deal', dealId: deal_id }])
    return Response.json({ enqueued: deal_id })
  }
  return null
}
