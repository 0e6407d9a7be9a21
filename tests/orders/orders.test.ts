import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'
import { confirm, household, seedProduct, stockOf, unitsOf } from '../payments/helpers'

const order = (token: string, items: unknown) =>
  call('POST', '/v1/orders', { token, body: { items } })

async function orderCount(userId: string) {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM orders WHERE user_id = ?')
    .bind(userId)
    .first<{ n: number }>()
  return row!.n
}

/** The admin upsert with every field as stored except stock, which it sets absolutely. */
async function adminSetStock(productId: string, stock: number) {
  const row = await env.DB.prepare(
    `SELECT p.sku, p.title, p.brand, p.price, c.slug FROM products p
     JOIN categories c ON c.id = p.category_id WHERE p.id = ?`,
  )
    .bind(productId)
    .first<{ sku: string; title: string; brand: string; price: number; slug: string }>()
  const { sku, title, brand, price, slug } = row!
  const products = [
    { sku, title, brand, price: { amount: price, currency: 'CNY' }, category_slug: slug, stock },
  ]
  return call('POST', '/v1/admin/products', { headers: ADMIN, body: { products } })
}

const cancel = (token: string, paymentId: string) =>
  call('POST', `/v1/payments/${paymentId}/cancel`, { token })

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
        {
          product_id: a,
          title: '小米电视 65"',
          unit_price: { amount: 129900, currency: 'CNY' },
          quantity: 1,
        },
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
    // Held, not gone: stock still counts the units until the order is paid.
    expect([await unitsOf(a), await unitsOf(b)]).toEqual([
      { stock: 5, reserved: 1 },
      { stock: 50, reserved: 3 },
    ])
    const listed = await call('GET', '/v1/me/payments?status=requires_confirmation', {
      token: user.token,
    })
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
    expect([await unitsOf(plenty), await unitsOf(scarce)]).toEqual([
      { stock: 10, reserved: 0 },
      { stock: 1, reserved: 0 },
    ])
    expect(await orderCount(user.id)).toBe(0)
  })

  it('units held by a pending order are not available to the next one', async () => {
    const { user, tv } = await household()
    const p = await seedProduct({ price: 100, stock: 3 })
    expect((await order(tv.token, [{ product_id: p, quantity: 2 }])).status).toBe(201)
    const again = await order(tv.token, [{ product_id: p, quantity: 2 }])
    const body = expectProblem(again, 409, 'out_of_stock')
    expect(body).toMatchObject({ product_id: p, available: 1, requested: 2 })
    expect(await unitsOf(p)).toEqual({ stock: 3, reserved: 2 })
    expect(await orderCount(user.id)).toBe(1)
  })

  it('never oversells under concurrent orders', async () => {
    const { user, tv } = await household()
    const p = await seedProduct({ price: 100, stock: 3 })
    const results = await Promise.all(
      Array.from({ length: 10 }, () => order(tv.token, [{ product_id: p, quantity: 1 }])),
    )
    expect(results.filter((r) => r.status === 201)).toHaveLength(3)
    for (const r of results.filter((r) => r.status !== 201))
      expect(r.body.code).toBe('out_of_stock')
    expect(await unitsOf(p)).toEqual({ stock: 3, reserved: 3 })
    expect(await orderCount(user.id)).toBe(3)
  })

  it('never oversells while the admin lowers the stock concurrently', async () => {
    const { user, tv } = await household()
    const p = await seedProduct({ price: 100, stock: 6 })
    const orders = Array.from({ length: 8 }, () =>
      order(tv.token, [{ product_id: p, quantity: 1 }]),
    )
    const [writes, results] = await Promise.all([
      Promise.all([adminSetStock(p, 4), adminSetStock(p, 4)]),
      Promise.all(orders),
    ])
    const placed = results.filter((r) => r.status === 201).length
    for (const r of results) if (r.status !== 201) expect(r.body.code).toBe('out_of_stock')
    for (const w of writes) if (w.status !== 200) expectProblem(w, 409, 'conflict')
    const units = await unitsOf(p)
    expect(units.reserved).toBe(placed)
    expect(units.reserved).toBeLessThanOrEqual(units.stock)
    expect(units.stock).toBe(writes.some((w) => w.status === 200) ? 4 : 6)
    expect(await orderCount(user.id)).toBe(placed)
  })

  it('unknown product is 404 and writes nothing', async () => {
    const { user, tv } = await household()
    const p = await seedProduct({ price: 100, stock: 3 })
    expectProblem(
      await order(tv.token, [
        { product_id: p, quantity: 1 },
        { product_id: 'prod_nope', quantity: 1 },
      ]),
      404,
      'not_found',
    )
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
    expectProblem(
      await call('POST', '/v1/orders', { token: tv.token, body: { items: [], address: {} } }),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('POST', '/v1/orders', { body: { items: [{ product_id: p, quantity: 1 }] } }),
      401,
      'unauthorized',
    )
    expect(await stockOf(p)).toBe(3)
  })
})

describe('stock on hand and units held by pending orders', () => {
  it('an admin write while an order is pending does not count its units twice', async () => {
    const { tv } = await household()
    const p = await seedProduct({ price: 100, stock: 5 })
    const placed = (await order(tv.token, [{ product_id: p, quantity: 2 }])).body
    expect(await unitsOf(p)).toEqual({ stock: 5, reserved: 2 })
    // The merchant counts the shelf: still 5, the 2 of the pending order among them.
    expect((await adminSetStock(p, 5)).status).toBe(200)
    expect(await unitsOf(p)).toEqual({ stock: 5, reserved: 2 })
    expect((await cancel(tv.token, placed.payment.id)).body.status).toBe('canceled')
    expect(await unitsOf(p)).toEqual({ stock: 5, reserved: 0 })
    expect(await stockOf(p)).toBe(5)
    const six = await order(tv.token, [{ product_id: p, quantity: 6 }])
    expect(expectProblem(six, 409, 'out_of_stock').available).toBe(5)
  })

  it('a paid order takes its units out of stock and out of reserved', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const p = await seedProduct({ price: 100, stock: 5 })
    const placed = (await order(tv.token, [{ product_id: p, quantity: 2 }])).body
    expect((await adminSetStock(p, 5)).status).toBe(200)
    const paid = await confirm(user.token, placed.payment.id)
    expect(paid.status, paid.text).toBe(200)
    expect(await unitsOf(p)).toEqual({ stock: 3, reserved: 0 })
    const read = await call('GET', `/v1/orders/${placed.order.id}`, { token: tv.token })
    expect(read.body.order.status).toBe('paid')
    // The paid order is over: canceling is refused and gives nothing back.
    expectProblem(await cancel(tv.token, placed.payment.id), 409, 'invalid_transition')
    expect(await unitsOf(p)).toEqual({ stock: 3, reserved: 0 })
  })

  it('an order with several products ships or releases each of them', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const a = await seedProduct({ price: 100, stock: 4 })
    const b = await seedProduct({ price: 100, stock: 9 })
    const lines = [
      { product_id: a, quantity: 1 },
      { product_id: b, quantity: 2 },
      { product_id: a, quantity: 2 },
    ]
    const kept = (await order(tv.token, lines)).body
    const dropped = (await order(tv.token, [{ product_id: b, quantity: 4 }])).body
    expect([await unitsOf(a), await unitsOf(b)]).toEqual([
      { stock: 4, reserved: 3 },
      { stock: 9, reserved: 6 },
    ])
    expect((await confirm(user.token, kept.payment.id)).status).toBe(200)
    expect((await cancel(tv.token, dropped.payment.id)).body.status).toBe('canceled')
    expect([await unitsOf(a), await unitsOf(b)]).toEqual([
      { stock: 1, reserved: 0 },
      { stock: 7, reserved: 0 },
    ])
  })
})

describe('orders from before products.reserved (a deploy of migration 0011 half done)', () => {
  /** Rewrites a fresh order into what the old code left: units taken from stock, none reserved. */
  async function asLegacy(orderId: string, productId: string, quantity: number) {
    await env.DB.batch([
      env.DB.prepare('UPDATE orders SET units_reserved = 0 WHERE id = ?').bind(orderId),
      env.DB.prepare(
        'UPDATE products SET stock = stock - ?1, reserved = reserved - ?1 WHERE id = ?2',
      ).bind(quantity, productId),
    ])
  }

  it('every new order is marked as holding its units in reserved', async () => {
    const { tv } = await household()
    const p = await seedProduct({ price: 100, stock: 5 })
    const placed = (await order(tv.token, [{ product_id: p, quantity: 1 }])).body
    const row = await env.DB.prepare('SELECT units_reserved FROM orders WHERE id = ?')
      .bind(placed.order.id)
      .first<{ units_reserved: number }>()
    expect(row!.units_reserved).toBe(1)
  })

  it('a legacy order can still be canceled (units back in stock) or paid (stock already taken)', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const p = await seedProduct({ price: 100, stock: 10 })
    const held = (await order(tv.token, [{ product_id: p, quantity: 1 }])).body
    const legacyCanceled = (await order(tv.token, [{ product_id: p, quantity: 2 }])).body
    const legacyPaid = (await order(tv.token, [{ product_id: p, quantity: 3 }])).body
    await asLegacy(legacyCanceled.order.id, p, 2)
    await asLegacy(legacyPaid.order.id, p, 3)
    expect(await unitsOf(p)).toEqual({ stock: 5, reserved: 1 })

    // Without the flag these ends tripped CHECK reserved >= 0 and left the payment stuck (a 500).
    const canceled = await cancel(tv.token, legacyCanceled.payment.id)
    expect(canceled.status, canceled.text).toBe(200)
    expect(await unitsOf(p)).toEqual({ stock: 7, reserved: 1 })
    const paid = await confirm(user.token, legacyPaid.payment.id)
    expect(paid.status, paid.text).toBe(200)
    expect(await unitsOf(p)).toEqual({ stock: 7, reserved: 1 })
    // The order that holds its unit in reserved is untouched by either.
    expect((await confirm(user.token, held.payment.id)).status).toBe(200)
    expect(await unitsOf(p)).toEqual({ stock: 6, reserved: 0 })
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
    for (let i = 0; i < 5; i++)
      ids.push((await order(tv.token, [{ product_id: p, quantity: 1 }])).body.order.id)
    await order(otherTv.token, [{ product_id: p, quantity: 1 }])

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: any = await call(
        'GET',
        `/v1/me/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: tv.token },
      )
      expect(res.status).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.items.map((o: any) => o.id))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toEqual([...ids].reverse())
    const mine = await call('GET', '/v1/me/orders?limit=50', { token: user.token })
    expect(mine.body.items).toHaveLength(6)
    expectProblem(
      await call('GET', '/v1/me/orders?cursor=garbage!', { token: user.token }),
      400,
      'invalid_cursor',
    )
    expectProblem(
      await call('GET', '/v1/me/orders?limit=51', { token: user.token }),
      400,
      'validation_failed',
    )
  })
})

describe('catalog cache version', () => {
  const version = async () =>
    (
      await env.DB.prepare('SELECT version FROM catalog_state WHERE id = 1').first<{
        version: number
      }>()
    )?.version

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

  it('counts available units: a release from low stock bumps while stock stays high', async () => {
    const { tv } = await household()
    const p = await seedProduct({ price: 100, stock: 20 })
    const v0 = await version()
    const first = (await order(tv.token, [{ product_id: p, quantity: 5 }])).body // 15 available
    expect(await version()).toBe(v0)
    await order(tv.token, [{ product_id: p, quantity: 6 }]) // 9 available: low_stock
    expect(await version()).toBe(v0! + 1)
    await cancel(tv.token, first.payment.id) // 14 available: in_stock again
    expect(await unitsOf(p)).toEqual({ stock: 20, reserved: 6 })
    expect(await version()).toBe(v0! + 2)
  })

  it('a paid order changes no stock_status, so it does not bump', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const edge = await seedProduct({ price: 100, stock: 11 })
    const placed = (await order(tv.token, [{ product_id: edge, quantity: 1 }])).body
    const v1 = await version()
    expect((await confirm(user.token, placed.payment.id)).status).toBe(200)
    expect(await unitsOf(edge)).toEqual({ stock: 10, reserved: 0 })
    expect(await version()).toBe(v1)
    expect((await call('GET', `/v1/products/${edge}`)).body.stock_status).toBe('low_stock')
  })
})
