import { describe, expect, it } from 'vitest'
import { call, expectProblem } from '../helpers/http'
import { createTestUser } from '../helpers/principals'
import { admin, createDeal, dealBody, dealRow, HOUR, join, row, seedProduct, sql } from './helpers'

const YEAR = 365 * 24 * HOUR
const at = (ms: number) => new Date(ms).toISOString()
const cny = (amount: number) => ({ amount, currency: 'CNY' })

describe('admin: create deals', () => {
  it('creates a group deal: list price from the product, the contract fields', async () => {
    const productId = await seedProduct({ price: 399900, stock: 50, title: '海尔冰箱' })
    const body = dealBody(productId, { price: 299900, stock: 20, minGroupSize: 5, maxPerUser: 2 })
    const res = await admin('POST', '/v1/admin/deals', body)
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      product: { id: productId, title: '海尔冰箱', price: cny(399900) },
      mode: 'group',
      deal_price: cny(299900),
      list_price: cny(399900),
      min_group_size: 5,
      participants: 0,
      stock: 20,
      stock_remaining: 20,
      max_per_user: 2,
      status: 'active',
      tipped_at: null,
    })
    expect(res.body.id).toMatch(/^deal_/)
    expect(Date.parse(res.body.server_time)).toBeGreaterThan(0)
    expect(res.body.ends_at).toBe(at(Date.parse(body.ends_at)).replace(/\.\d{3}Z$/, 'Z'))
  })

  it('creates a team deal whose threshold is the team size', async () => {
    const deal = await createDeal({ mode: 'team', teamSize: 3, teamWindowSeconds: 600 })
    expect(deal).toMatchObject({ mode: 'team', team_size: 3, team_window_seconds: 600 })
    expect(deal.min_group_size).toBe(3)
  })

  it('refuses a price at or above list, a window backwards or over, bad team fields', async () => {
    const productId = await seedProduct({ price: 1000, stock: 5 })
    const now = Date.now()
    const team = { mode: 'team', team_size: 3, team_window_seconds: 600 }
    const cases: [Record<string, unknown>, string][] = [
      [{ deal_price: cny(1000) }, 'deal_price'],
      [{ deal_price: cny(0) }, 'deal_price.amount'],
      [{ deal_price: cny(10.5) }, 'deal_price.amount'],
      [{ ends_at: at(now - 2 * HOUR) }, 'ends_at'],
      [{ starts_at: at(now - 3 * HOUR), ends_at: at(now - HOUR) }, 'ends_at'],
      [{ max_per_user: 11 }, 'max_per_user'],
      [{ min_group_size: undefined }, 'min_group_size'],
      [{ team_size: 3 }, 'team_size'],
      [{ ...team, min_group_size: 2 }, 'min_group_size'],
      [{ mode: 'team', min_group_size: undefined }, 'team_size'],
      [{ surprise: true }, ''],
    ]
    for (const [patch, path] of cases) {
      const body = { ...dealBody(productId, { price: 900 }), ...patch }
      const res = await admin('POST', '/v1/admin/deals', body)
      const problem = expectProblem(res, 400, 'validation_failed')
      const paths = problem.errors.map((e: any) => e.path)
      if (path) expect(paths, JSON.stringify(patch)).toContain(path)
    }
    const unknown = await admin('POST', '/v1/admin/deals', dealBody('prod_nope', { price: 900 }))
    expectProblem(unknown, 404, 'not_found')
    expect(await row('SELECT id FROM deals WHERE product_id = ?', productId)).toBeNull()
  })

  it('needs the admin token: none, a user token or a wrong one is 401', async () => {
    const productId = await seedProduct({ price: 1000, stock: 5 })
    const user = await createTestUser()
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${user.token}` },
      { authorization: 'Bearer not-the-admin-token-at-all' },
    ]
    for (const headers of attempts) {
      const body = dealBody(productId, { price: 900 })
      expectProblem(await call('POST', '/v1/admin/deals', { headers, body }), 401, 'unauthorized')
    }
  })
})

describe('admin: edit deals', () => {
  it('edits price, stock and window; never below the units already taken', async () => {
    const deal = await createDeal({ stock: 10, maxPerUser: 5, minGroupSize: 5 })
    const path = `/v1/admin/deals/${deal.id}`
    const user = await createTestUser()
    expect((await join(user.token, deal.id, { quantity: 3 })).status).toBe(201)

    const ok = await admin('PATCH', path, { stock: 4, max_per_user: 3, deal_price: cny(900) })
    expect(ok.status, ok.text).toBe(200)
    expect(ok.body).toMatchObject({ stock: 4, stock_remaining: 1, deal_price: { amount: 900 } })

    expectProblem(await admin('PATCH', path, { stock: 2, max_per_user: 2 }), 409, 'conflict')
    expect((await dealRow(deal.id)).stock).toBe(4)

    expectProblem(await admin('PATCH', path, { deal_price: cny(2000) }), 400, 'validation_failed')
    const moveStart = await admin('PATCH', path, { starts_at: at(Date.now() + HOUR) })
    expectProblem(moveStart, 409, 'conflict')
    expectProblem(await admin('PATCH', path, {}), 400, 'validation_failed')
  })

  it('lowering min_group_size to the confirmed participants tips the deal', async () => {
    const deal = await createDeal({ minGroupSize: 5 })
    await sql('UPDATE deals SET participants = 2 WHERE id = ?', deal.id)
    const res = await admin('PATCH', `/v1/admin/deals/${deal.id}`, { min_group_size: 2 })
    expect(res.status, res.text).toBe(200)
    expect(res.body.status).toBe('tipped')
    expect(res.body.tipped_at).not.toBeNull()
  })

  it('an ended deal cannot be edited; an unknown one is 404', async () => {
    const deal = await createDeal()
    await sql(`UPDATE deals SET phase = 'failed' WHERE id = ?`, deal.id)
    const ended = await admin('PATCH', `/v1/admin/deals/${deal.id}`, { stock: 3 })
    expectProblem(ended, 409, 'deal_not_active')
    expectProblem(await admin('PATCH', '/v1/admin/deals/deal_nope', { stock: 3 }), 404, 'not_found')
  })

  it('writes bump the catalog version, so cached home and product pages refresh', async () => {
    const productId = await seedProduct({ price: 1000, stock: 5 })
    const version = async () => (await row('SELECT version FROM catalog_state')).version
    const before = await version()
    const created = await admin('POST', '/v1/admin/deals', dealBody(productId, { price: 900 }))
    await admin('PATCH', `/v1/admin/deals/${created.body.id}`, { stock: 9 })
    expect(await version()).toBe(before + 2)
  })
})

describe('listing and detail', () => {
  it('lists active (ending first), upcoming and ended deals by page, with the time', async () => {
    const now = Date.now()
    const active = []
    for (let i = 0; i < 3; i++) active.push(await createDeal({ endsAt: now + (10 + i) * YEAR }))
    const upcoming = await createDeal({ startsAt: now + 50 * YEAR, endsAt: now + 51 * YEAR })
    const ended = await createDeal()
    await sql('UPDATE deals SET starts_at = ?, ends_at = ? WHERE id = ?', 1000, 2000, ended.id)

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page = `/v1/deals?status=active&limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const res: any = await call('GET', page)
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(Math.abs(Date.parse(res.body.server_time) - Date.now())).toBeLessThan(5000)
      seen.push(...res.body.items.map((d: any) => d.id))
      cursor = res.body.next_cursor
    } while (cursor)
    // Ours end last of all active deals, in order.
    expect(seen.slice(-3)).toEqual(active.map((d) => d.id))
    expect(seen).not.toContain(upcoming.id)
    expect(seen).not.toContain(ended.id)

    const up = await call('GET', '/v1/deals?status=upcoming&limit=50')
    expect(up.body.items.find((d: any) => d.id === upcoming.id).status).toBe('upcoming')
    const past = await call('GET', '/v1/deals?status=ended&limit=50')
    expect(past.body.items.find((d: any) => d.id === ended.id).status).toBe('failed')
  })

  it('reads one deal; unknown is 404; a bad status or cursor is 400', async () => {
    const deal = await createDeal()
    const res = await call('GET', `/v1/deals/${deal.id}`)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: deal.id, status: 'active', participants: 0 })
    expect(res.body.server_time).toBeDefined()
    expectProblem(await call('GET', '/v1/deals/deal_nope'), 404, 'not_found')
    expectProblem(await call('GET', '/v1/deals?status=tipped'), 400, 'validation_failed')
    expectProblem(await call('GET', '/v1/deals?cursor=bm9wZQ'), 400, 'invalid_cursor')
  })

  it('shows sold_out when every unit is taken and active again when one comes back', async () => {
    const deal = await createDeal({ stock: 2, maxPerUser: 2 })
    const user = await createTestUser()
    const res = await join(user.token, deal.id, { quantity: 2 })
    const view = async () => (await call('GET', `/v1/deals/${deal.id}`)).body
    expect(await view()).toMatchObject({ status: 'sold_out', stock_remaining: 0 })
    await call('POST', `/v1/payments/${res.body.payment.id}/cancel`, { token: user.token })
    expect(await view()).toMatchObject({ status: 'active', stock_remaining: 2 })
  })
})
