import { env } from 'cloudflare:test'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hotDeal } from '../../src/deals/hot-deal'
import { joinDeal } from '../../src/deals/join'
import { ApiError } from '../../src/http/errors'
import {
  capturePayment,
  confirmPayment,
  expireIfDue,
  findPayment,
  releasePayment,
} from '../../src/payments'
import { purposes } from '../../src/wiring'
import { expectLedgerBalanced } from '../helpers/ledger'
import { ADDRESS, creditWallet, household, PIN } from '../payments/helpers'
import { createDeal, dealRow, HOUR } from './helpers'
import { settlementQueue } from './settlement-runs'

/**
 * The ledger property, through the deal's Durable Object: random joins (several at once, mixed
 * quantities, some beyond the cap or the stock), confirmations, cancellations, captures,
 * expiries and settlement runs. After every step D1's counters equal what its rows say, never
 * exceed the stock or a person's cap, the object counts exactly what D1 counts, and the ledger
 * balances.
 */
type Op =
  | { kind: 'join'; user: number; quantity: number }
  | { kind: 'confirm'; place: number }
  | { kind: 'cancel'; place: number }
  | { kind: 'capture'; place: number }
  | { kind: 'expire' }
  | { kind: 'settle' }

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('join' as const),
      user: fc.nat({ max: 3 }),
      quantity: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('confirm' as const), place: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), place: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('capture' as const), place: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
)
const step = fc.oneof(
  { weight: 2, arbitrary: op.map((o) => [o]) },
  { weight: 2, arbitrary: fc.array(op, { minLength: 2, maxLength: 6 }) },
)

/** The front door turns a lost race and too little money into ApiErrors (409, 402). */
function allowedRefusal(err: unknown): boolean {
  return err instanceof ApiError
}

async function expectInvariants(dealId: string, maxPerUser: number) {
  // One batch is one transaction: the deal's counters and its places are read at the same
  // moment, so a capture the settlement queue makes meanwhile cannot fall between the two reads.
  const [deals, places] = await env.DB.batch([
    env.DB.prepare('SELECT reserved, sold, stock FROM deals WHERE id = ?').bind(dealId),
    env.DB.prepare(
      `SELECT
         COALESCE(SUM(CASE WHEN status IN ('pending_payment', 'confirmed') THEN quantity END), 0) AS open,
         COALESCE(SUM(CASE WHEN status IN ('paid', 'refunded') THEN quantity END), 0) AS paid
       FROM deal_participations WHERE deal_id = ?`,
    ).bind(dealId),
  ])
  const deal = deals.results[0] as { reserved: number; sold: number; stock: number }
  const sums = places.results[0] as { open: number; paid: number }
  expect({ reserved: deal.reserved, sold: deal.sold }).toEqual({
    reserved: sums!.open,
    sold: sums!.paid,
  })
  expect(deal.reserved + deal.sold).toBeLessThanOrEqual(deal.stock)
  const { results: buyers } = await env.DB.prepare(
    `SELECT b.user_id, b.units,
       (SELECT COALESCE(SUM(quantity), 0) FROM deal_participations p
        WHERE p.deal_id = b.deal_id AND p.user_id = b.user_id
          AND p.status IN ('pending_payment', 'confirmed', 'paid', 'refunded')) AS held
     FROM deal_buyers b WHERE b.deal_id = ?`,
  )
    .bind(dealId)
    .all<{ user_id: string; units: number; held: number }>()
  for (const b of buyers) {
    expect(b.units).toBe(b.held)
    expect(b.units).toBeLessThanOrEqual(maxPerUser)
  }
  const seen = await hotDeal(env, dealId).counters(dealId)
  expect({ taken: seen.taken, pending: seen.pending }).toEqual({
    taken: deal.reserved + deal.sold,
    pending: 0,
  })
  await expectLedgerBalanced(env.DB)
}

describe('deal property (joins through the Durable Object)', () => {
  it('random joins, confirmations, cancellations, captures, expiries and settlement keep every invariant', async () => {
    let runs = 0
    const refusals = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        runs++
        const stock = 8
        const maxPerUser = 4
        const deal = await createDeal({ stock, maxPerUser, minGroupSize: 2 })
        const households = await Promise.all(Array.from({ length: 4 }, () => household()))
        const users = households.map((h) => h.user)
        for (const u of users) await creditWallet(u.id, 100_000)
        const payments: string[] = []
        const run = async (o: Op) => {
          const now = Date.now()
          const pick = (n: number) => payments[payments.length - 1 - (n % payments.length)]!
          if (o.kind === 'join') {
            const u = users[o.user]!
            const principal = { kind: 'user' as const, userId: u.id }
            const joined = await joinDeal(env, principal, deal.id, { quantity: o.quantity }, now)
            payments.push(joined.payment.id)
            return
          }
          if (o.kind === 'expire') {
            // Everything unconfirmed expires (as if its ten minutes had passed).
            const { results } = await env.DB.prepare(
              `SELECT id FROM payments WHERE status = 'requires_confirmation'
               AND purpose_type = 'deal' AND purpose_id IN
                 (SELECT id FROM deal_participations WHERE deal_id = ?)`,
            )
              .bind(deal.id)
              .all<{ id: string }>()
            for (const { id } of results) {
              const p = await findPayment(env.DB, id)
              // Ten minutes and more later, as far as this payment knows.
              if (p) await expireIfDue(env, purposes, p, p.expiresAt)
            }
            return
          }
          if (o.kind === 'settle') {
            // A cron tick and everything it enqueued, through the settlement queue's consumer.
            await settlementQueue().tick(now)
            return
          }
          if (payments.length === 0) return
          const id = pick(o.place)
          if (o.kind === 'cancel') await releasePayment(env, purposes, id, now)
          else if (o.kind === 'capture') await capturePayment(env, purposes, id, now)
          else {
            const p = (await findPayment(env.DB, id))!
            if (p.status !== 'requires_confirmation') return
            await confirmPayment(env, purposes, {
              userId: p.userId,
              paymentId: id,
              pin: PIN,
              paymentMethod: 'wallet',
              shippingAddress: ADDRESS,
              now,
            })
          }
        }
        for (const group of steps) {
          const results = await Promise.allSettled(group.map(run))
          for (const r of results) {
            if (r.status === 'rejected' && !allowedRefusal(r.reason)) throw r.reason
            if (r.status === 'rejected' && r.reason instanceof ApiError) {
              refusals.set(r.reason.code, (refusals.get(r.reason.code) ?? 0) + 1)
            }
          }
          await expectInvariants(deal.id, maxPerUser)
        }
        // And when the window ends, settlement leaves nothing open, still in agreement.
        await settlementQueue().tick(Date.now() + 3 * HOUR)
        await expectInvariants(deal.id, maxPerUser)
        expect(await dealRow(deal.id)).toMatchObject({ reserved: 0 })
      }),
      // A fixed seed: the invariants must hold for any, but the checks below that the runs did
      // sell out, refuse a cap, tip and capture must not depend on a lucky draw (an unseeded run
      // once drew no cap refusal). Change it to explore other sequences.
      { numRuns: 20, seed: 20261207 },
    )
    expect(runs).toBe(20)
    // The runs must have sold out, refused caps, tipped and captured, or they proved little.
    expect(refusals.get('sold_out'), 'sold_out refusals').toBeGreaterThan(0)
    expect(refusals.get('limit_exceeded'), 'cap refusals').toBeGreaterThan(0)
    const kinds = await env.DB.prepare(
      `SELECT
         (SELECT COUNT(*) FROM deals WHERE tipped_at IS NOT NULL) AS tipped,
         (SELECT COUNT(*) FROM deal_participations WHERE status = 'paid') AS paid,
         (SELECT COUNT(*) FROM deal_participations WHERE status = 'released') AS released`,
    ).first<Record<string, number>>()
    for (const [k, v] of Object.entries(kinds!)) expect(v, k).toBeGreaterThan(0)
  }, 180_000)
})
