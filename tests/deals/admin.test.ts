import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { createTestUser } from '../helpers/principals'
import { createDeal, dealBody, dealRow, HOUR, join, seedProduct } from './helpers'

describe('admin: create deals', () => {
  it('creates a group deal with the product price as list price and answers the contract fields', async () => {
    const productId = await seedProduct({ price: 399900, stock: 50, title: '海尔冰箱' })
    const body = dealBody(productId, { price: 299900, stock: 20, minGroupSize: 5, maxPerUser: 2 })
    const res = await call('POST', '/v1/admin/deals', { headers: ADMIN, body })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      product: { id: productId, title: '海尔冰箱', price: { amount: 399900, currency: 'CNY' } },
      mode: 'group',
      deal_price: { amount: 299900, currency: 'CNY' },
      list_price: { amount: 399900, currency: 'CNY' },
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
    expect(res.body.ends_at).toBe(new Date(Date.parse(body.ends_at)).toISOString().replace(/\.\d{3}Z$/, 'Z'))
  })

  it('creates a team deal whose threshold is the team size', async () => {
    const deal = await createDeal({ mode: 'team', teamSize: 3, teamWindowSeconds: 600 })
    expect(deal).toMatchObject({ mode: 'team', team_size: 3, team_window_seconds: 600, min_group_size: 3 })
  })

  it('refuses a deal price at or above the list price, a window backwards or over, and bad team fields', async () => {
    const productId = await seedProduct({ price: 1000, stock: 5 })
    const cases: [Record<string, unknown>, string][] = [
      [{ deal_price: { amount: 1000, currency: 'CNY' } }, 'deal_price'],
      [{ deal_price: { amount: 0, currency: 'CNY' } }, 'deal_price.amount'],
      [{ deal_price: { amount: 10.5, currency: 'CNY' } }, 'deal_price.amount'],
      [{ ends_at: new Date(Date.now() - 2 * HOUR).toISOString() }, 'ends_at'],
      [{ starts_at: new Date(Date.now() - 3 * HOUR).toISOString(), ends_at: new Date(Date.now() - HOUR).toISOString() }, 'ends_at'],
      [{ max_per_user: 11 }, 'max_per_user'],
      [{ min_group_size: undefined }, 'min_group_size'],
      [{ team_size: 3 }, 'team_size'],
      [{ mode: 'team', min_group_size: 2, team_size: 3, team_window_seconds: 600 }, 'min_group_size'],
      [{ mode: 'team', min_group_size: undefined }, 'team_size'],
      [{ surprise: true }, ''],
    ]
    for (const [patch, path] of cases) {
      const res = await call('POST', '/v1/admin/deals', { headers: ADMIN, body: { ...dealBody(productId, { price: 900 }), ...patch } })
      const problem = expectProblem(res, 400, 'validation_failed')
      if (path) expect(problem.errors.map((e: any) => e.path), JSON.stringify(patch)).toContain(path)
    }
    const unknown = await call('POST', '/v1/admin/deals', { headers: ADMIN, body: dealBody('prod_nope', { price: 900 }) })
    expectProblem(unknown, 404, 'not_found')
    const { results } = await env.DB.prepare('SELECT id FROM deals WHERE product_id = ?').bind(productId).all()
    expect(results).toEqual([])
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
      const res = await call('POST', '/v1/admin/deals', { headers, body: dealBody(productId, { price: 900 }) })
      expectProblem(res, 401, 'unauthorized')
    }
  })
})

describe('admin: edit deals', () => {
  it('edits price, stock and window; never below the units already taken', async () => {
    const deal = await createDeal({ stock: 10, maxPerUser: 5, minGroupSize: 5 })
    const user = await createTestUser()
    expect((await join(user.token, deal.id, { quantity: 3 })).status).toBe(201)

    const ok = await call('PATCH', `/v1/admin/deals/${deal.id}`, { headers: ADMIN, body: { stock: 4, max_per_user: 3, deal_price: { amount: 900, currency: 'CNY' } } })
    expect(ok.status, ok.text).toBe(200)
    expect(ok.body).toMatchObject({ stock: 4, stock_remaining: 1, deal_price: { amount: 900 } })

    const below = await call('PATCH', `/v1/admin/deals/${deal.id}`, { headers: ADMIN, body: { stock: 2, max_per_user: 2 } })
    expectProblem(below, 409, 'conflict')
    expect((await dealRow(deal.id)).stock).toBe(4)

    const overList = await call('PATCH', `/v1/admin/deals/${deal.id}`, { headers: ADMIN, body: { deal_price: { amount: 2000, currency: 'CNY' } } })
    expectProblem(overList, 400, 'validation_failed')
    const moveStart = await call('PATCH', `/v1/admin/deals/${deal.id}`, {
      headers: ADMIN,
      body: { starts_at: new Date(Date.now() + HOUR).toISOString() },
    })
    expectProblem(moveStart, 409, 'conflict')
    const empty = await call('PATCH', `/v1/admin/deals/${deal.id}`, { headers: ADMIN, body: {} })
    expectProblem(empty, 400, 'validation_failed')
  })

  it('lowering min_group_size to the confirmed participants tips the deal', async () => {
    const deal = await createDeal({ minGroupSize: 5 })
    await env.DB.prepare('UPDATE deals SET participants = 2 WHERE id = ?').bind(deal.id).run()
    const res = await call('PATCH', `/v1/admin/deals/${deal.id}`, { headers: ADMIN, body: { min_group_size: 2 } })
    expect(res.status, res.text).toBe(200)
    expect(res.body.status).toBe('tipped')
    expect(res.body.tipped_at).not.toBeNull()
  })

  it('an ended deal cannot be edited; an unknown one is 404', async () => {
    const deal = await createDeal()
    await env.DB.prepare(`UPDATE deals SET phase = 'failed' WHERE id = ?`).bind(deal.id).run()
    expectProblem(await call('PATCH', `/v1/admin/deals/${deal.id}`, { headers: ADMIN, body: { stock: 3 } }), 409, 'deal_not_active')
    expectProblem(await call('PATCH', '/v1/admin/deals/deal_nope', { headers: ADMIN, body: { stock: 3 } }), 404, 'not_found')
  })

  it('writes bump the catalog version, so cached home and product pages refresh', async () => {
    const productId = await seedProduct({ price: 1000, stock: 5 })
    const before = await env.DB.prepare('SELECT version FROM catalog_state WHERE id = 1').first<{ version: number }>()
    const created = await call('POST', '/v1/admin/deals', { headers: ADMIN, body: dealBody(productId, { price: 900 }) })
    const deal = created.body
    await call('PATCH', `/v1/admin/deals/${deal.id}`, { headers: ADMIN, body: { stock: 9 } })
    const after = await env.DB.prepare('SELECT version FROM catalog_state WHERE id = 1').first<{ version: number }>()
    expect(after!.version).toBe(before!.version + 2)
  })
})

describe('listing and detail', () => {
  it('lists active (ending soonest first), upcoming and ended deals, page by page, with the server time', async () => {
    const now = Date.now()
    const active = []
    for (let i = 0; i < 3; i++) active.push(await createDeal({ endsAt: now + (10 + i) * HOUR * 24 * 365 }))
    const upcoming = await createDeal({ startsAt: now + 50 * HOUR * 24 * 365, endsAt: now + 51 * HOUR * 24 * 365 })
    const ended = await createDeal()
    await env.DB.prepare('UPDATE deals SET starts_at = ?, ends_at = ? WHERE id = ?').bind(1000, 2000, ended.id).run()

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: any = await call('GET', `/v1/deals?status=active&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
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
    expect(up.body.items.map((d: any) => d.id)).toContain(upcoming.id)
    expect(up.body.items.find((d: any) => d.id === upcoming.id).status).toBe('upcoming')
    const past = await call('GET', '/v1/deals?status=ended&limit=50')
    const endedView = past.body.items.find((d: any) => d.id === ended.id)
    expect(endedView.status).toBe('failed')
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
    expect((await call('GET', `/v1/deals/${deal.id}`)).body).toMatchObject({ status: 'sold_out', stock_remaining: 0 })
    await call('POST', `/v1/payments/${res.body.payment.id}/cancel`, { token: user.token })
    expect((await call('GET', `/v1/deals/${deal.id}`)).body).toMatchObject({ status: 'active', stock_remaining: 2 })
  })
})
