import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { expireDuePayments } from '../../src/payments'
import { call, expectProblem } from '../helpers/http'
import { expectLedgerBalanced } from '../helpers/ledger'
import { createTestDevice, createTestUser } from '../helpers/principals'
import {
  createDeal,
  dealRow,
  endDeal,
  HOUR,
  join,
  participationRow,
  paymentStatus,
  row,
  sql,
} from './helpers'
import { purposes } from '../../src/wiring'

afterEach(async () => {
  await expectLedgerBalanced(env.DB)
})

const cny = (amount: number) => ({ amount, currency: 'CNY' })
const newcomer = async () => (await createTestUser()).token

/** Units held by open places plus units sold, straight from the rows (not the counters). */
async function unitsTaken(dealId: string): Promise<number> {
  const taken = await row(
    `SELECT COALESCE(SUM(quantity), 0) AS n FROM deal_participations
     WHERE deal_id = ? AND status IN ('pending_payment', 'confirmed', 'paid')`,
    dealId,
  )
  return taken.n
}

async function unitsOf(dealId: string, userId: string) {
  return row('SELECT units FROM deal_buyers WHERE deal_id = ? AND user_id = ?', dealId, userId)
}

describe('joining a deal', () => {
  it('a TV joins: units reserved at once, a manual-capture payment awaits the phone', async () => {
    const deal = await createDeal({ price: 1500, stock: 10, maxPerUser: 3 })
    const user = await createTestUser()
    const tv = await createTestDevice(user.id)
    const res = await join(tv.token, deal.id, { quantity: 2 })
    expect(res.status, res.text).toBe(201)
    expect(res.body.participation).toMatchObject({
      status: 'pending_payment',
      quantity: 2,
      deal_id: deal.id,
      unit_price: cny(1500),
      amount: cny(3000),
      team: null,
      order_id: null,
    })
    expect(res.body.payment).toMatchObject({
      status: 'requires_confirmation',
      capture: 'manual',
      amount: cny(3000),
      purpose: { type: 'deal', id: res.body.participation.id },
    })
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 2, sold: 0, participants: 0 })
    const view = await call('GET', `/v1/deals/${deal.id}`)
    expect(view.body).toMatchObject({ stock_remaining: 8, participants: 0, status: 'active' })
    // The TV that started it can read the payment; the user sees it waiting on the phone.
    const payment = await call('GET', `/v1/payments/${res.body.payment.id}`, { token: tv.token })
    expect(payment.status).toBe(200)
    const waiting = await call('GET', '/v1/me/payments?status=requires_confirmation', {
      token: user.token,
    })
    expect(waiting.body.items.map((p: any) => p.id)).toContain(res.body.payment.id)
  })

  it('50 concurrent joins for 5 units: exactly 5 reservations, 45 sold_out', async () => {
    const deal = await createDeal({ stock: 5, maxPerUser: 1 })
    const users = await Promise.all(Array.from({ length: 50 }, () => createTestUser()))
    const results = await Promise.all(users.map((u) => join(u.token, deal.id, { quantity: 1 })))
    const created = results.filter((r) => r.status === 201)
    expect(created).toHaveLength(5)
    for (const r of results.filter((r) => r.status !== 201)) expectProblem(r, 409, 'sold_out')
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 5, sold: 0 })
    expect(await unitsTaken(deal.id)).toBe(5)
    const payments = await row(
      `SELECT COUNT(*) AS n FROM payments WHERE purpose_type = 'deal'
         AND purpose_id IN (SELECT id FROM deal_participations WHERE deal_id = ?)`,
      deal.id,
    )
    expect(payments.n).toBe(5)
    const buyers = await row('SELECT SUM(units) AS n FROM deal_buyers WHERE deal_id = ?', deal.id)
    expect(buyers.n).toBe(5)
  })

  it('mixed quantities under concurrency never oversell: reserved + sold ≤ stock', async () => {
    const deal = await createDeal({ stock: 7, maxPerUser: 3 })
    const users = await Promise.all(Array.from({ length: 20 }, () => createTestUser()))
    const results = await Promise.all(
      users.map((u, i) => join(u.token, deal.id, { quantity: (i % 3) + 1 })),
    )
    for (const r of results.filter((r) => r.status !== 201)) expectProblem(r, 409, 'sold_out')
    const ok = results.filter((r) => r.status === 201)
    const taken = ok.reduce((n, r) => n + r.body.participation.quantity, 0)
    expect(taken).toBeLessThanOrEqual(7)
    // At least 5: refusals only start once what is left is smaller than some request.
    expect(taken).toBeGreaterThanOrEqual(5)
    expect(await unitsTaken(deal.id)).toBe(taken)
    expect((await dealRow(deal.id)).reserved).toBe(taken)
  })

  it('per-user cap holds under concurrency, across the user and their TVs', async () => {
    const deal = await createDeal({ stock: 100, maxPerUser: 3 })
    const user = await createTestUser()
    const tvs = await Promise.all([createTestDevice(user.id), createTestDevice(user.id)])
    const tokens = [user.token, ...tvs.map((t) => t.token)]
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => join(tokens[i % 3]!, deal.id, { quantity: 1 })),
    )
    expect(results.filter((r) => r.status === 201)).toHaveLength(3)
    for (const r of results.filter((r) => r.status !== 201)) {
      const problem = expectProblem(r, 409, 'limit_exceeded')
      expect(problem.max_per_user).toBe(3)
    }
    expect(await unitsOf(deal.id, user.id)).toEqual({ units: 3 })
    // Someone else is not affected by this person's cap.
    expect((await join(await newcomer(), deal.id, { quantity: 3 })).status).toBe(201)
    // A single request above the cap is refused too.
    const tooMany = await join(await newcomer(), deal.id, { quantity: 4 })
    expectProblem(tooMany, 409, 'limit_exceeded')
  })

  it('a released place gives its units and its cap back', async () => {
    const deal = await createDeal({ stock: 2, maxPerUser: 2 })
    const user = await createTestUser()
    const first = await join(user.token, deal.id, { quantity: 2 })
    expectProblem(await join(user.token, deal.id, { quantity: 1 }), 409, 'sold_out')
    const cancelPath = `/v1/payments/${first.body.payment.id}/cancel`
    const cancel = await call('POST', cancelPath, { token: user.token })
    expect(cancel.status, cancel.text).toBe(200)
    const place = await participationRow(first.body.participation.id)
    expect(place).toMatchObject({ status: 'released' })
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0 })
    expect((await join(user.token, deal.id, { quantity: 2 })).status).toBe(201)
  })

  it('an unconfirmed join releases its units when its payment expires', async () => {
    const deal = await createDeal({ stock: 3, maxPerUser: 2 })
    const user = await createTestUser()
    const res = await join(user.token, deal.id, { quantity: 2 })
    expect((await dealRow(deal.id)).reserved).toBe(2)
    const { expired } = await expireDuePayments(env, purposes, Date.now() + HOUR)
    expect(expired).toBeGreaterThanOrEqual(1)
    expect(await paymentStatus(res.body.payment.id)).toBe('expired')
    const place = await participationRow(res.body.participation.id)
    expect(place).toMatchObject({ status: 'released' })
    expect(await dealRow(deal.id)).toMatchObject({ reserved: 0, participants: 0 })
    expect(await unitsOf(deal.id, user.id)).toEqual({ units: 0 })
  })
})

describe('my places', () => {
  it('newest first, page by page; a TV sees the ones it started; others see none', async () => {
    const user = await createTestUser()
    const tv = await createTestDevice(user.id)
    const a = await createDeal()
    const b = await createDeal({ mode: 'team', teamSize: 2 })
    const fromTv = (await join(tv.token, a.id, { quantity: 2 })).body.participation
    const fromPhone = (await join(user.token, b.id, { quantity: 1 })).body.participation
    const mine = (query: string, token = user.token) =>
      call('GET', `/v1/me/deal-participations${query}`, { token })

    const first = await mine('?limit=1')
    expect(first.status, first.text).toBe(200)
    expect(first.body.items.map((p: any) => p.id)).toEqual([fromPhone.id])
    expect(first.body.items[0].team).toMatchObject({ code: fromPhone.team.code, members: 1 })
    const second = await mine(`?limit=1&cursor=${first.body.next_cursor}`)
    expect(second.body.items.map((p: any) => p.id)).toEqual([fromTv.id])
    expect(second.body.items[0]).toMatchObject({
      deal_id: a.id,
      status: 'pending_payment',
      quantity: 2,
      team: null,
    })
    expect(second.body.next_cursor).toBeNull()
    expect((await mine('', tv.token)).body.items.map((p: any) => p.id)).toEqual([fromTv.id])
    expect((await mine('', await newcomer())).body).toEqual({ items: [], next_cursor: null })
    expectProblem(await call('GET', '/v1/me/deal-participations'), 401, 'unauthorized')
  })
})

describe('joins that are refused', () => {
  it('before the start and after the end: 409 deal_not_active, nothing reserved', async () => {
    const now = Date.now()
    const upcoming = await createDeal({ startsAt: now + HOUR, endsAt: now + 2 * HOUR })
    const ended = await createDeal()
    await endDeal(ended.id)
    const user = await createTestUser()
    expectProblem(await join(user.token, upcoming.id), 409, 'deal_not_active')
    expectProblem(await join(user.token, ended.id), 409, 'deal_not_active')
    const closed = await createDeal()
    await sql(`UPDATE deals SET phase = 'failed' WHERE id = ?`, closed.id)
    expectProblem(await join(user.token, closed.id), 409, 'deal_not_active')
    for (const id of [upcoming.id, ended.id, closed.id]) {
      expect((await dealRow(id)).reserved).toBe(0)
    }
  })

  it('after sell-out: 409 sold_out with what is left', async () => {
    const deal = await createDeal({ stock: 3, maxPerUser: 3 })
    await join(await newcomer(), deal.id, { quantity: 2 })
    const tooMany = await join(await newcomer(), deal.id, { quantity: 2 })
    const problem = expectProblem(tooMany, 409, 'sold_out')
    expect(problem).toMatchObject({ stock_remaining: 1, requested: 2 })
    await join(await newcomer(), deal.id, { quantity: 1 })
    expectProblem(await join(await newcomer(), deal.id, { quantity: 1 }), 409, 'sold_out')
  })

  it('the SQL guards refuse what the deal object did not know (D1 changed behind it)', async () => {
    const cases: [string, string, string][] = [
      [`UPDATE deals SET phase = 'failed' WHERE id = ?`, 'deal_not_active', 'closed by the cron'],
      [`UPDATE deals SET ends_at = starts_at + 1 WHERE id = ?`, 'deal_not_active', 'shortened'],
      [`UPDATE deals SET deal_price = 999 WHERE id = ?`, 'conflict', 'repriced'],
      [`UPDATE deals SET reserved = stock WHERE id = ?`, 'sold_out', 'sold out meanwhile'],
      [`UPDATE deals SET max_per_user = 1 WHERE id = ?`, 'limit_exceeded', 'cap lowered'],
    ]
    for (const [interference, code, why] of cases) {
      const deal = await createDeal({ stock: 5 })
      const user = await createTestUser()
      // The first join loads the deal into its Durable Object; then D1 changes behind its back.
      expect((await join(user.token, deal.id, { quantity: 1 })).status, why).toBe(201)
      const before = await dealRow(deal.id)
      await sql(interference, deal.id)
      expectProblem(await join(user.token, deal.id, { quantity: 1 }), 409, code)
      const count = 'SELECT COUNT(*) AS n FROM deal_participations WHERE deal_id = ?'
      expect(await row(count, deal.id), why).toEqual({ n: 1 })
      const after = await dealRow(deal.id)
      expect(after.reserved - before.reserved, why).toBe(interference.includes('reserved') ? 4 : 0)
      expect(await unitsOf(deal.id, user.id), why).toEqual({ units: 1 })
    }
  })

  it('the refused join is undone in the deal object too: its units can still be sold', async () => {
    const deal = await createDeal({ stock: 3, maxPerUser: 3 })
    const [a, b] = await Promise.all([createTestUser(), createTestUser()])
    expect((await join(a.token, deal.id, { quantity: 1 })).status).toBe(201)
    await sql('UPDATE deals SET deal_price = 999 WHERE id = ?', deal.id)
    expectProblem(await join(b.token, deal.id, { quantity: 2 }), 409, 'conflict')
    // The object re-read the deal: the next join is at the new price, and 2 units are left.
    const next = await join(b.token, deal.id, { quantity: 2 })
    expect(next.status, next.text).toBe(201)
    expect(next.body.payment.amount.amount).toBe(2 * 999)
    expect((await dealRow(deal.id)).reserved).toBe(3)
  })

  it('bad input 400; no token 401; unknown deal 404; team_code on a group deal 400', async () => {
    const deal = await createDeal()
    const user = await createTestUser()
    const bodies = [
      {},
      { quantity: 0 },
      { quantity: 1.5 },
      { quantity: '1' },
      { quantity: 1, extra: 1 },
      { quantity: 100 },
    ]
    for (const body of bodies) {
      expectProblem(await join(user.token, deal.id, body), 400, 'validation_failed')
    }
    const anonymous = await call('POST', `/v1/deals/${deal.id}/join`, { body: { quantity: 1 } })
    expectProblem(anonymous, 401, 'unauthorized')
    expectProblem(await join(user.token, 'deal_nope'), 404, 'not_found')
    const withCode = await join(user.token, deal.id, { quantity: 1, team_code: 'ABCDEF' })
    expectProblem(withCode, 400, 'validation_failed')
    expect((await dealRow(deal.id)).reserved).toBe(0)
  })

  it('a quantity whose total no payment can hold is 400, not a 500; nothing reserved', async () => {
    const big = Number.MAX_SAFE_INTEGER
    const deal = await createDeal({ listPrice: big, price: big - 1, maxPerUser: 5 })
    const user = await createTestUser()
    expectProblem(await join(user.token, deal.id, { quantity: 2 }), 400, 'validation_failed')
    expect((await dealRow(deal.id)).reserved).toBe(0)
  })

  it('Idempotency-Key: a retry replays the first join instead of reserving twice', async () => {
    const deal = await createDeal({ stock: 10 })
    const user = await createTestUser()
    const key = { 'idempotency-key': 'join-1' }
    const first = await join(user.token, deal.id, { quantity: 1 }, key)
    const again = await join(user.token, deal.id, { quantity: 1 }, key)
    expect(again.status).toBe(201)
    expect(again.headers.get('idempotency-replayed')).toBe('true')
    expect(again.body.participation.id).toBe(first.body.participation.id)
    expect((await dealRow(deal.id)).reserved).toBe(1)
    const reuse = await join(user.token, deal.id, { quantity: 2 }, key)
    expectProblem(reuse, 422, 'idempotency_key_reuse')
  })
})
