import {
  abortAllDurableObjects,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
} from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { type HotDeal, hotDeal } from '../../src/deals/hot-deal'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { expectLedgerBalanced } from '../helpers/ledger'
import { createTestDevice, createTestUser } from '../helpers/principals'
import { closeAll, join as openChannel } from '../channel/helpers'
import { STALE_CLAIM_MS } from '../../src/http/idempotency'
import { confirm, createDeal, dealRow, household, join, row, sql } from './helpers'

afterEach(async () => {
  await expectLedgerBalanced(env.DB)
})

type BatchFault = 'before' | 'after'

/**
 * Makes the deal object's next D1 batch fail: `before` it reaches D1 (D1 down), or `after` it
 * committed (the answer lost on the way back). Test-only: swaps the instance's env.
 */
async function failNextBatch(dealId: string, fault: BatchFault, times = 1) {
  await runInDurableObject(hotDeal(env, dealId), async (instance: HotDeal) => {
    const holder = instance as unknown as { env: Env }
    const real = holder.env.DB
    let left = times
    const faulty =
      (batch: (s: D1PreparedStatement[]) => Promise<unknown>) =>
      async (statements: D1PreparedStatement[]) => {
        if (left <= 0) return batch(statements)
        left--
        if (fault === 'before') throw new Error('D1_ERROR: Network connection lost.')
        await batch(statements)
        throw new Error('D1_ERROR: Network connection lost.')
      }
    const db = new Proxy(real, {
      get(target, key) {
        if (key === 'batch') return faulty((s) => target.batch(s))
        // The object writes its grants through a session at the primary: fault that one too.
        if (key === 'withSession') {
          return (constraint: string) => {
            const session = target.withSession(constraint)
            return {
              prepare: (q: string) => session.prepare(q),
              batch: faulty((s) => session.batch(s)),
              getBookmark: () => session.getBookmark(),
            }
          }
        }
        const value = Reflect.get(target, key)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    holder.env = { ...holder.env, DB: db }
  })
}

const counters = (dealId: string) => hotDeal(env, dealId).counters(dealId)

async function placesOf(dealId: string): Promise<number> {
  const r = await row('SELECT COUNT(*) AS n FROM deal_participations WHERE deal_id = ?', dealId)
  return r.n
}

/** D1's counters equal what the rows say, and the object's count equals D1's. */
async function expectAgreement(dealId: string) {
  const deal = await dealRow(dealId)
  const open = await row(
    `SELECT COALESCE(SUM(quantity), 0) AS n FROM deal_participations
     WHERE deal_id = ? AND status IN ('pending_payment', 'confirmed')`,
    dealId,
  )
  const paid = await row(
    `SELECT COALESCE(SUM(quantity), 0) AS n FROM deal_participations
     WHERE deal_id = ? AND status IN ('paid', 'refunded')`,
    dealId,
  )
  expect({ reserved: deal.reserved, sold: deal.sold }).toEqual({ reserved: open.n, sold: paid.n })
  expect(deal.reserved + deal.sold).toBeLessThanOrEqual(deal.stock)
  const seen = await counters(dealId)
  expect({ taken: seen.taken, pending: seen.pending }).toEqual({
    taken: deal.reserved + deal.sold,
    pending: 0,
  })
}

describe('a grant is never lost and never written twice', () => {
  it('D1 down: 503, the grant waits in the object, the alarm writes it once', async () => {
    const deal = await createDeal({ stock: 2, maxPerUser: 2 })
    const user = await createTestUser()
    await join(user.token, deal.id, { quantity: 1 }) // loads the object
    await failNextBatch(deal.id, 'before')
    const res = await join(user.token, deal.id, { quantity: 1 })
    expectProblem(res, 503, 'deal_unavailable')
    expect(res.headers.get('retry-after')).toBe('1')
    expect(await placesOf(deal.id)).toBe(1)
    expect(await counters(deal.id)).toMatchObject({ taken: 2, pending: 1 })
    // The granted unit is held: the deal is sold out meanwhile, nobody can oversell it.
    expectProblem(await join((await createTestUser()).token, deal.id), 409, 'sold_out')

    expect(await runDurableObjectAlarm(hotDeal(env, deal.id))).toBe(true)
    expect(await placesOf(deal.id)).toBe(2)
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 2 })
    await runDurableObjectAlarm(hotDeal(env, deal.id))
    expect(await placesOf(deal.id)).toBe(2)
    await expectAgreement(deal.id)
  })

  it('answer lost after D1 committed: the retry with the same Idempotency-Key gets the same place', async () => {
    const deal = await createDeal({ stock: 5, maxPerUser: 5 })
    const user = await createTestUser()
    await join(user.token, deal.id, { quantity: 1 })
    await failNextBatch(deal.id, 'after')
    const key = { 'idempotency-key': 'lost-answer-1' }
    expectProblem(await join(user.token, deal.id, { quantity: 2 }, key), 503, 'deal_unavailable')
    expect(await placesOf(deal.id)).toBe(2) // it did land
    const retry = await join(user.token, deal.id, { quantity: 2 }, key)
    expect(retry.status, retry.text).toBe(201)
    const landed = await row(
      'SELECT id, payment_id FROM deal_participations WHERE deal_id = ? AND quantity = 2',
      deal.id,
    )
    expect(retry.body.participation.id).toBe(landed.id)
    expect(retry.body.payment.id).toBe(landed.payment_id)
    expect(await placesOf(deal.id)).toBe(2)
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 3 })
    await expectAgreement(deal.id)
  })

  it('a restart keeps the counters and the pending grants (they are in the object storage)', async () => {
    const deal = await createDeal({ stock: 3, maxPerUser: 3 })
    const user = await createTestUser()
    await join(user.token, deal.id, { quantity: 1 })
    await failNextBatch(deal.id, 'before')
    expectProblem(await join(user.token, deal.id, { quantity: 2 }), 503, 'deal_unavailable')
    await abortAllDurableObjects() // the object restarts: memory gone, storage kept
    expect(await counters(deal.id)).toMatchObject({ taken: 3, pending: 1 })
    expectProblem(await join(user.token, deal.id, { quantity: 1 }), 409, 'sold_out')
    await runDurableObjectAlarm(hotDeal(env, deal.id))
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 3 })
    await expectAgreement(deal.id)
  })

  it('a group commit refused by D1 is split: the others are written, the refused one undone', async () => {
    const deal = await createDeal({ stock: 10, maxPerUser: 10 })
    const users = await Promise.all(Array.from({ length: 6 }, () => createTestUser()))
    await join(users[0]!.token, deal.id, { quantity: 1 })
    // D1 lowers the cap to 1 behind the object's back: only the person who has 1 is refused.
    await sql('UPDATE deals SET max_per_user = 1 WHERE id = ?', deal.id)
    const tries = await Promise.all(users.map((u) => join(u.token, deal.id, { quantity: 1 })))
    expectProblem(tries[0]!, 409, 'limit_exceeded')
    expect(tries.slice(1).map((t) => t.status)).toEqual(Array(5).fill(201))
    expect(await placesOf(deal.id)).toBe(6)
    expect(await dealRow(deal.id)).toMatchObject({ reserved: await placesOf(deal.id) })
    await expectAgreement(deal.id)
  })
})

describe('units come back to the object', () => {
  it('a release it was not told about is found by the alarm (D1 counters differ)', async () => {
    const deal = await createDeal({ stock: 1, maxPerUser: 1 })
    const [a, b] = await Promise.all([createTestUser(), createTestUser()])
    const first = await join(a.token, deal.id, { quantity: 1 })
    expect(first.status).toBe(201)
    // Released in D1 with no word to the object (as if the notice was lost).
    const id = first.body.participation.id
    await env.DB.batch([
      env.DB.prepare(`UPDATE deal_participations SET status = 'released' WHERE id = ?`).bind(id),
      env.DB.prepare('UPDATE deals SET reserved = reserved - 1 WHERE id = ?').bind(deal.id),
      env.DB.prepare(
        'UPDATE deal_buyers SET units = units - 1 WHERE deal_id = ? AND user_id = ?',
      ).bind(deal.id, a.id),
      env.DB.prepare(
        `UPDATE payments SET status = 'canceled', version = version + 1 WHERE id = ?`,
      ).bind(first.body.payment.id),
    ])
    expectProblem(await join(b.token, deal.id), 409, 'sold_out')
    await runDurableObjectAlarm(hotDeal(env, deal.id))
    expect((await join(b.token, deal.id)).status).toBe(201)
    await expectAgreement(deal.id)
  })

  it('an admin edit is seen at once: lower stock and cap refuse in the object', async () => {
    const deal = await createDeal({ stock: 10, maxPerUser: 5 })
    const user = await createTestUser()
    await join(user.token, deal.id, { quantity: 2 })
    const edit = await call('PATCH', `/v1/admin/deals/${deal.id}`, {
      headers: ADMIN,
      body: { stock: 3, max_per_user: 3 },
    })
    expect(edit.status, edit.text).toBe(200)
    expectProblem(await join(user.token, deal.id, { quantity: 2 }), 409, 'sold_out')
    expect((await join(user.token, deal.id, { quantity: 1 })).status).toBe(201)
    expectProblem(await join(user.token, deal.id, { quantity: 1 }), 409, 'sold_out')
    await expectAgreement(deal.id)
  })
})

describe('the payment a join answers with is in D1 before the phone can confirm it', () => {
  it('joins and confirmations at once: every confirmation finds its payment', async () => {
    const deal = await createDeal({ stock: 20, maxPerUser: 2, minGroupSize: 100 })
    const people = await Promise.all(Array.from({ length: 6 }, () => household({ balance: 5000 })))
    const confirmed = await Promise.all(
      people.map(async (p) => {
        const res = await join(p.tv.token, deal.id, { quantity: 1 })
        expect(res.status, res.text).toBe(201)
        return confirm(p.user.token, res.body.payment.id)
      }),
    )
    expect(confirmed.map((c) => c.status)).toEqual(Array(6).fill(200))
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 6, participants: 6 })
    await expectAgreement(deal.id)
  })
})

describe("read-your-writes: the join answers the bookmark of the object's write", () => {
  it('x-d1-bookmark is at least where the group commit left D1; a read sent with it sees the place', async () => {
    const deal = await createDeal({ stock: 10, maxPerUser: 5 })
    const user = await createTestUser()
    const res = await join(user.token, deal.id, { quantity: 1 })
    expect(res.status, res.text).toBe(201)
    const answered = res.headers.get('x-d1-bookmark')!
    const written = (await counters(deal.id)).bookmark!
    expect(written).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/)
    // Bookmarks sort oldest first: the request's own session (its token check) was behind.
    expect(answered >= written, `${answered} < ${written}`).toBe(true)

    const mine = await call('GET', '/v1/me/deal-participations', {
      token: user.token,
      headers: { 'x-d1-bookmark': answered },
    })
    expect(mine.status).toBe(200)
    expect(mine.body.items.map((p: { id: string }) => p.id)).toContain(res.body.participation.id)
    expect(mine.headers.get('x-d1-bookmark')! >= answered).toBe(true)
  })

  it('a retry answered from the object (no D1 write) still carries a bookmark past the place', async () => {
    const deal = await createDeal({ stock: 10, maxPerUser: 5 })
    const user = await createTestUser()
    const key = { 'idempotency-key': 'bookmark-retry-1' }
    const first = await join(user.token, deal.id, { quantity: 1 }, key)
    expect(first.status, first.text).toBe(201)
    const written = (await counters(deal.id)).bookmark!
    await sql('DELETE FROM idempotency_keys WHERE key = ?', 'bookmark-retry-1')
    const again = await join(user.token, deal.id, { quantity: 1 }, key)
    expect(again.body.participation.id).toBe(first.body.participation.id)
    expect(again.headers.get('x-d1-bookmark')! >= written).toBe(true)
  })
})

/** As after hibernation: the Household object's memory is gone, its sockets are not. */
async function forgetPushedVersions(userId: string) {
  const stub = env.HOUSEHOLD.get(env.HOUSEHOLD.idFromName(userId))
  await runInDurableObject(stub, async (instance) => {
    ;(instance as unknown as { pushedVersions: Map<string, number> }).pushedVersions.clear()
  })
}

describe('a retried join tells the phones once', () => {
  it('the same Idempotency-Key again (the first answer never recorded), and from a second TV: one payment.requested', async () => {
    const deal = await createDeal({ stock: 10, maxPerUser: 5 })
    const { user, tv } = await household({ balance: 10_000 })
    const bedroom = await createTestDevice(user.id, { name: 'Bedroom' })
    const phone = await openChannel(user.token)
    phone.drain()
    const key = { 'idempotency-key': 'join-once-1' }

    const first = await join(tv.token, deal.id, { quantity: 1 }, key)
    expect(first.status, first.text).toBe(201)
    const pushed = await phone.next('payment.requested')
    expect(pushed.payment.id).toBe(first.body.payment.id)

    // The first request died after the push and before its answer was stored: its claim goes
    // stale and the retry runs the handler again.
    await sql(
      `UPDATE idempotency_keys SET response_status = NULL, response_body = NULL,
         created_at = created_at - ? WHERE key = ?`,
      2 * STALE_CLAIM_MS,
      'join-once-1',
    )
    // A minute on, the household's object has hibernated: sockets kept, the versions it pushed
    // (its own duplicate filter) forgotten.
    await forgetPushedVersions(user.id)
    const retry = await join(tv.token, deal.id, { quantity: 1 }, key)
    expect(retry.status, retry.text).toBe(201)
    expect(retry.body.payment.id).toBe(first.body.payment.id)
    await forgetPushedVersions(user.id)
    // Another TV of the household with the same key: its own idempotency scope, the same place.
    const other = await join(bedroom.token, deal.id, { quantity: 1 }, key)
    expect(other.status, other.text).toBe(201)
    expect(other.body.participation.id).toBe(first.body.participation.id)

    expect(await phone.queued(['payment.requested'], 300)).toEqual([])
    expect(await placesOf(deal.id)).toBe(1)
    await expectAgreement(deal.id)
    await closeAll(phone)
  })

  it('a join whose first answer was a 503 (D1 down) is announced by the retry that lands it', async () => {
    const deal = await createDeal({ stock: 10, maxPerUser: 5 })
    const { user, tv } = await household({ balance: 10_000 })
    const phone = await openChannel(user.token)
    phone.drain()
    await join(tv.token, deal.id, { quantity: 1 }) // loads the object
    await phone.next('payment.requested')
    await failNextBatch(deal.id, 'before')
    const key = { 'idempotency-key': 'join-once-2' }
    expectProblem(await join(tv.token, deal.id, { quantity: 1 }, key), 503, 'deal_unavailable')
    expect(await phone.queued(['payment.requested'], 200)).toEqual([])
    const retry = await join(tv.token, deal.id, { quantity: 1 }, key)
    expect(retry.status, retry.text).toBe(201)
    expect((await phone.next('payment.requested')).payment.id).toBe(retry.body.payment.id)
    expect(await phone.queued(['payment.requested'], 200)).toEqual([])
    await expectAgreement(deal.id)
    await closeAll(phone)
  })
})

describe('the counters are derived from the stored places (bases + places)', () => {
  const storage = (dealId: string) =>
    runInDurableObject(hotDeal(env, dealId), async (_instance: HotDeal, state) => {
      const all = (q: string) => state.storage.sql.exec(q).toArray()
      return { meta: all('SELECT k, v FROM meta'), buyers: all('SELECT * FROM buyers') }
    })

  it('after a restart the per-person cap and the units still hold; a join writes no counter row', async () => {
    const deal = await createDeal({ stock: 10, maxPerUser: 2 })
    const user = await createTestUser()
    expect((await join(user.token, deal.id, { quantity: 1 })).status).toBe(201)
    const stored = await storage(deal.id)
    expect(stored.buyers).toEqual([])
    expect(stored.meta).toContainEqual({ k: 'base_taken', v: '0' })
    expect(stored.meta.find((m) => m.k === 'taken')).toBeUndefined()
    await abortAllDurableObjects()
    expect(await counters(deal.id)).toMatchObject({ taken: 1, buyers: 1, pending: 0 })
    expectProblem(await join(user.token, deal.id, { quantity: 2 }), 409, 'limit_exceeded')
    expect((await join(user.token, deal.id, { quantity: 1 })).status).toBe(201)
    expectProblem(await join(user.token, deal.id, { quantity: 1 }), 409, 'limit_exceeded')
    await expectAgreement(deal.id)
  })

  it('an object loading a deal D1 already holds places of keeps them as bases and places', async () => {
    const deal = await createDeal({ stock: 4, maxPerUser: 2 })
    const user = await createTestUser()
    const other = await createTestUser()
    expect((await join(user.token, deal.id, { quantity: 2 })).status).toBe(201)
    expect((await join(other.token, deal.id, { quantity: 1 })).status).toBe(201)
    // The object's storage is gone (a new object for the deal): it loads D1's counters again.
    await runInDurableObject(hotDeal(env, deal.id), async (_i: HotDeal, state) => {
      await state.storage.deleteAll()
    })
    await abortAllDurableObjects()
    expect(await counters(deal.id)).toMatchObject({ taken: 3, places: 2, pending: 0 })
    expect((await storage(deal.id)).buyers).toEqual([])
    expectProblem(await join(user.token, deal.id, { quantity: 2 }), 409, 'sold_out')
    expectProblem(await join(user.token, deal.id, { quantity: 1 }), 409, 'limit_exceeded')
    expect((await join(other.token, deal.id, { quantity: 1 })).status).toBe(201)
    expectProblem(await join(other.token, deal.id, { quantity: 1 }), 409, 'sold_out')
    await expectAgreement(deal.id)
  })

  it('storage written by layout 1 (running totals) is read as such and rewritten as bases', async () => {
    const deal = await createDeal({ stock: 10, maxPerUser: 3 })
    const user = await createTestUser()
    expect((await join(user.token, deal.id, { quantity: 2 })).status).toBe(201)
    await runInDurableObject(hotDeal(env, deal.id), async (_i: HotDeal, state) => {
      const sql = state.storage.sql
      sql.exec("DELETE FROM meta WHERE k IN ('base_taken', 'layout')")
      sql.exec("INSERT INTO meta (k, v) VALUES ('taken', '2')")
      sql.exec('INSERT INTO buyers (user_id, units) VALUES (?, 2)', user.id)
    })
    await abortAllDurableObjects()
    expect(await counters(deal.id)).toMatchObject({ taken: 2, buyers: 1 })
    const stored = await storage(deal.id)
    expect(stored.meta).toContainEqual({ k: 'layout', v: '2' })
    expect(stored.meta).toContainEqual({ k: 'base_taken', v: '0' })
    expect(stored.buyers).toEqual([])
    expectProblem(await join(user.token, deal.id, { quantity: 2 }), 409, 'limit_exceeded')
    expect((await join(user.token, deal.id, { quantity: 1 })).status).toBe(201)
    await expectAgreement(deal.id)
  })
})
