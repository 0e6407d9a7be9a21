import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { call, expectProblem } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'
import { household, seedProduct, stockOf } from '../payments/helpers'

const order = (token: string, items: unknown) => call('POST', '/v1/orders', { token, body: { items } })

async function orderCount(userId: string) {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM orders WHERE user_id = ?').bind(userId).first<{ n: number }>()
  return row!.n
}

describe('POST /v1/orders', () => {
  it('the TV orders: 201 with the order, its payment, and the stock reserved', async () => {
    const { user, tv } = await household()
    const a = await seedProduct({ price: 129900, stock: 5, title: '小米电视 65"' })
    const b = await seedProduct({ price: 990, stock: 50 })
    const res = await order(tv.token, [
      { product_id: a, quantity: 1 },
      { product_id: b, quantity: 2 },
      { product_id: b, quantity: 1 },
    ])
    expect(res.status, res.text).toBe(201)
    expect(res.body.order).toMatchObject({
      status: 'pending_payment',
      total: { amount: 129900 + 3 * 990, currency: 'CNY' },
      items: [
        { product_id: a, title: '小米电视 65"', unit_price: { amount: 129900, currency: 'CNY' }, quantity: 1 },
        { product_id: b, quantity: 3 },
      ],
      shipping_address: null,
    })
    expect(res.body.payment).toMatchObject({
      status: 'requires_confirmation',
      amount: { amount: 132870 },
      capture: 'automatic',
      purpose: { type: 'order', id: res.body.order.id },
    })
    expect(res.body.payment.confirmation.url).toContain(res.body.payment.id)
    expect(res.body.payment.confirmation.code).toMatch(/^[A-Z2-9]{6}$/)
    expect([await stockOf(a), await stockOf(b)]).toEqual([4, 47])
    const listed = await call('GET', '/v1/me/payments?status=requires_confirmation', { token: user.token })
    expect(listed.body.items.map((p: any) => p.id)).toContain(res.body.payment.id)
  })

  it('the phone may order too', async () => {
    const { user } = await household()
    const p = await seedProduct({ price: 100, stock: 1 })
    expect((await order(user.token, [{ product_id: p, quantity: 1 }])).status).toBe(201)
  })

  it('out of stock is 409 with nothing written, even when an earlier line had stock', async () => {
    const { user, tv } = await household()
    const plenty = await seedProduct({ price: 100, stock: 10 })
    const scarce = await seedProduct({ price: 100, stock: 1 })
    const res = await order(tv.token, [
      { product_id: plenty, quantity: 3 },
      { product_id: scarce, quantity: 2 },
    ])
    const body = expectProblem(res, 409, 'out_of_stock')
    expect(body).toMatchObject({ product_id: scarce, available: 1, requested: 2 })
    expect([await stockOf(plenty), await stockOf(scarce)]).toEqual([10, 1])
    expect(await orderCount(user.id)).toBe(0)
  })

  it('never oversells under concurrent orders', async () => {
    const { user, tv } = await household()
    const p = await seedProduct({ price: 100, stock: 3 })
    const results = await Promise.all(Array.from({ length: 10 }, () => order(tv.token, [{ product_id: p, quantity: 1 }])))
    expect(results.filter((r) => r.status === 201)).toHaveLength(3)
    for (const r of results.filter((r) => r.status !== 201)) expect(r.body.code).toBe('out_of_stock')
    expect(await stockOf(p)).toBe(0)
    expect(await orderCount(user.id)).toBe(3)
  })

  it('unknown product is 404 and writes nothing', async () => {
    const { user, tv } = await household()
    const p = await seedProduct({ price: 100, stock: 3 })
    expectProblem(await order(tv.token, [{ product_id: p, quantity: 1 }, { product_id: 'prod_nope', quantity: 1 }]), 404, 'not_found')
    expect(await stockOf(p)).toBe(3)
    expect(await orderCount(user.id)).toBe(0)
  })

  it('validates the body', async () => {
    const { tv } = await household()
    const p = await seedProduct({ price: 100, stock: 3 })
    for (const items of [
      [],
      [{ product_id: p, quantity: 0 }],
      [{ product_id: p, quantity: 100 }],
      [{ product_id: p, quantity: 1.5 }],
      [{ product_id: p, quantity: 1, price: 1 }],
      Array.from({ length: 51 }, () => ({ product_id: p, quantity: 1 })),
    ]) {
      expectProblem(await order(tv.token, items), 400, 'validation_failed')
    }
    expectProblem(await call('POST', '/v1/orders', { token: tv.token, body: { items: [], address: {} } }), 400, 'validation_failed')
    expectProblem(await call('POST', '/v1/orders', { body: { items: [{ product_id: p, quantity: 1 }] } }), 401, 'unauthorized')
    expect(await stockOf(p)).toBe(3)
  })
})

describe('reading orders', () => {
  it('the user and the ordering TV read it; another TV or person gets 404', async () => {
    const { user, tv } = await household()
    const p = await seedProduct({ price: 100, stock: 3 })
    const created = (await order(tv.token, [{ product_id: p, quantity: 1 }])).body
    const path = `/v1/orders/${created.order.id}`
    expect((await call('GET', path, { token: user.token })).body.order.id).toBe(created.order.id)
    const read = await call('GET', path, { token: tv.token })
    expect(read.body.payment.id).toBe(created.payment.id)
    const otherTv = await createTestDevice(user.id)
    expectProblem(await call('GET', path, { token: otherTv.token }), 404, 'not_found')
    const stranger = await createTestUser()
    expectProblem(await call('GET', path, { token: stranger.token }), 404, 'not_found')
    expectProblem(await call('GET', '/v1/orders/ord_nope', { token: user.token }), 404, 'not_found')
  })

  it('GET /v1/me/orders pages newest first with a keyset cursor; a TV sees its own orders', async () => {
    const { user, tv } = await household()
    const otherTv = await createTestDevice(user.id)
    const p = await seedProduct({ price: 100, stock: 20 })
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await order(tv.token, [{ product_id: p, quantity: 1 }])).body.order.id)
    await order(otherTv.token, [{ product_id: p, quantity: 1 }])

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: any = await call('GET', `/v1/me/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: tv.token })
      expect(res.status).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.items.map((o: any) => o.id))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toEqual([...ids].reverse())
    const mine = await call('GET', '/v1/me/orders?limit=50', { token: user.token })
    expect(mine.body.items).toHaveLength(6)
    expectProblem(await call('GET', '/v1/me/orders?cursor=garbage!', { token: user.token }), 400, 'invalid_cursor')
    expectProblem(await call('GET', '/v1/me/orders?limit=51', { token: user.token }), 400, 'validation_failed')
  })
})

describe('catalog cache version', () => {
  const version = async () =>
    (await env.DB.prepare('SELECT version FROM catalog_state WHERE id = 1').first<{ version: number }>())?.version

  it('bumps only when an order moves a product into (or out of) low stock', async () => {
    const { tv } = await household()
    const plenty = await seedProduct({ price: 100, stock: 100 })
    const edge = await seedProduct({ price: 100, stock: 11 })
    const v0 = await version()
    expect(v0).toBeTypeOf('number')
    await order(tv.token, [{ product_id: plenty, quantity: 1 }])
    expect(await version()).toBe(v0)
    const low = (await order(tv.token, [{ product_id: edge, quantity: 1 }])).body
    expect(await version()).toBe(v0! + 1)
    await call('POST', `/v1/payments/${low.payment.id}/cancel`, { token: tv.token })
    expect(await stockOf(edge)).toBe(11)
    expect(await version()).toBe(v0! + 2)
  })
})
