import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { upsertCategories } from '../../src/catalog/admin'
import { productUpsertSql, toStatements } from '../../src/catalog/product-rows'
import { newId } from '../../src/lib/ids'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'
import { household, unitsOf } from '../payments/helpers'
import { adminCategories, adminProducts, product, uniq } from './fixtures'
import { recordingEnv } from './recording-db'

async function count(sql: string, ...params: unknown[]) {
  return (await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>())!.n
}

describe('admin categories: happy', () => {
  it('creates roots and children in one call, in any order, ids in request order', async () => {
    const [root, child] = [uniq('root'), uniq('child')]
    const items = await adminCategories([
      { slug: child, name: '智能电视', parent_slug: root },
      { slug: root, name: '电视' },
    ])
    expect(items.map((i) => i.slug)).toEqual([child, root])
    expect(items[0]!.id).toMatch(/^cat_/)
    const row = await env.DB.prepare('SELECT parent_id FROM categories WHERE slug = ?')
      .bind(child)
      .first<{ parent_id: string }>()
    expect(row!.parent_id).toBe(items[1]!.id)
  })

  it('upserts by slug: the same slug again updates in place and keeps its id', async () => {
    const slug = uniq('cat')
    const [first] = await adminCategories([{ slug, name: '冰箱' }])
    const [second] = await adminCategories([{ slug, name: '冰箱冷柜', position: 5 }])
    expect(second!.id).toBe(first!.id)
    expect(await count('SELECT COUNT(*) AS n FROM categories WHERE slug = ?', slug)).toBe(1)
    const res = await call('GET', `/v1/search/suggest?q=${encodeURIComponent('冷柜')}`)
    expect(res.body.items.map((i: any) => i.id)).toContain(first!.id)
  })

  it('100 children under 100 different roots: every statement binds at most 100 parameters (D1)', async () => {
    const roots = Array.from({ length: 100 }, (_, i) => ({ slug: uniq(`r${i}`), name: `根${i}` }))
    await adminCategories(roots)
    const children = roots.map((r, i) => ({
      slug: uniq(`c${i}`),
      name: `子${i}`,
      parent_slug: r.slug,
    }))
    const { env: recording, statements } = recordingEnv()
    const { items } = await upsertCategories(recording, children, Date.now())
    expect(items).toHaveLength(100)
    expect(Math.max(...statements.map((st) => st.params.length))).toBeLessThanOrEqual(100)
  })

  it('moving a child under another root moves its products with it', async () => {
    const [a, b, c] = [uniq('a'), uniq('b'), uniq('c')]
    const [rootA, rootB, child] = await adminCategories([
      { slug: a, name: 'A' },
      { slug: b, name: 'B' },
      { slug: c, name: 'C', parent_slug: a },
    ])
    const [p] = await adminProducts([product(uniq('p'), '测试 商品', c)])
    const before = await env.DB.prepare('SELECT root_category_id FROM products WHERE id = ?')
      .bind(p!.id)
      .first<{ root_category_id: string }>()
    expect(before!.root_category_id).toBe(rootA!.id)
    await adminCategories([{ slug: c, name: 'C', parent_slug: b }])
    const after = await env.DB.prepare(
      'SELECT root_category_id, category_id FROM products WHERE id = ?',
    )
      .bind(p!.id)
      .first<any>()
    expect(after).toEqual({ root_category_id: rootB!.id, category_id: child!.id })
  })
})

describe('admin categories: errors', () => {
  it('an unknown parent_slug is 400 unknown_category listing it, and nothing is written', async () => {
    const slug = uniq('orphan')
    const missing = uniq('missing')
    const body = expectProblem(
      await call('POST', '/v1/admin/categories', {
        headers: ADMIN,
        body: {
          categories: [
            { slug: uniq('fine'), name: 'ok' },
            { slug, name: 'x', parent_slug: missing },
          ],
        },
      }),
      400,
      'unknown_category',
    )
    expect(body.unknown_slugs).toEqual([missing])
    expect(body.detail).toContain(missing)
    expect(body.errors[0].path).toBe('categories.1.parent_slug')
    expect(await count('SELECT COUNT(*) AS n FROM categories WHERE slug = ?', slug)).toBe(0)
  })

  it('refuses a third level, a self-parent and a parent with children becoming a child', async () => {
    const [root, child, other] = [uniq('r'), uniq('c'), uniq('o')]
    await adminCategories([
      { slug: root, name: 'R' },
      { slug: child, name: 'C', parent_slug: root },
      { slug: other, name: 'O' },
    ])
    const post = (categories: unknown[]) =>
      call('POST', '/v1/admin/categories', { headers: ADMIN, body: { categories } })
    expectProblem(
      await post([{ slug: uniq('g'), name: 'G', parent_slug: child }]),
      400,
      'category_too_deep',
    )
    expectProblem(
      await post([{ slug: root, name: 'R', parent_slug: root }]),
      400,
      'category_too_deep',
    )
    // Only the SQL trigger knows `root` has children: the batch aborts and writes nothing.
    const bystander = uniq('bystander')
    expectProblem(
      await post([
        { slug: bystander, name: 'B' },
        { slug: root, name: 'R2', parent_slug: other },
      ]),
      400,
      'category_too_deep',
    )
    expect(await count('SELECT COUNT(*) AS n FROM categories WHERE slug = ?', bystander)).toBe(0)
    expect(
      await count(
        "SELECT COUNT(*) AS n FROM categories WHERE slug = ? AND name = 'R' AND parent_id IS NULL",
        root,
      ),
    ).toBe(1)
  })

  it('validates every field and the batch size', async () => {
    const post = (body: unknown) => call('POST', '/v1/admin/categories', { headers: ADMIN, body })
    expectProblem(await post({ categories: [] }), 400, 'validation_failed')
    expectProblem(
      await post({
        categories: Array.from({ length: 101 }, (_, i) => ({ slug: `s${i}`, name: 'n' })),
      }),
      400,
      'validation_failed',
    )
    expectProblem(
      await post({ categories: [{ slug: 'Bad Slug', name: 'x' }] }),
      400,
      'validation_failed',
    )
    expectProblem(await post({ categories: [{ slug: 'ok', name: '' }] }), 400, 'validation_failed')
    expectProblem(
      await post({ categories: [{ slug: 'ok', name: 'x', extra: 1 }] }),
      400,
      'validation_failed',
    )
    expectProblem(
      await post({ categories: [{ slug: 'ok', name: 'x' }], extra: true }),
      400,
      'validation_failed',
    )
    const dup = expectProblem(
      await post({
        categories: [
          { slug: 'dup', name: 'x' },
          { slug: 'dup', name: 'y' },
        ],
      }),
      400,
      'validation_failed',
    )
    expect(dup.errors[0].path).toBe('categories.1.slug')
  })
})

describe('admin products: happy', () => {
  it('upserts by sku: the same sku again updates in place, keeps id and sales, replaces search keys', async () => {
    const cat = uniq('cat')
    await adminCategories([{ slug: cat, name: '手机' }])
    const sku = uniq('sku')
    const [first] = await adminProducts([
      product(sku, '荣耀 Magic6 手机', cat, { sales: 77, attributes: { 颜色: '黑' } }),
    ])
    const [second] = await adminProducts([
      product(sku, '一加 Ace3 手机', cat, { price: { amount: 259900, currency: 'CNY' }, stock: 3 }),
    ])
    expect(second!.id).toBe(first!.id)
    expect(await count('SELECT COUNT(*) AS n FROM products WHERE sku = ?', sku)).toBe(1)
    const row = await env.DB.prepare(
      'SELECT title, price, stock, sales, attributes FROM products WHERE sku = ?',
    )
      .bind(sku)
      .first<any>()
    expect(row).toEqual({
      title: '一加 Ace3 手机',
      price: 259900,
      stock: 3,
      sales: 77,
      attributes: '{}',
    })
    const suggestIds = async (q: string) =>
      (await call('GET', `/v1/search/suggest?q=${encodeURIComponent(q)}`)).body.items.map(
        (i: any) => i.id,
      )
    expect(await suggestIds('荣耀')).not.toContain(first!.id)
    expect(await suggestIds('rongyao')).not.toContain(first!.id)
    expect(await suggestIds('一加')).toContain(first!.id)
    expect(await suggestIds('yijia')).toContain(first!.id)
  })

  it('a stock or price update leaves search keys alone; a sales update re-ranks them', async () => {
    const cat = uniq('cat')
    await adminCategories([{ slug: cat, name: '排序' }])
    const [a, b] = [uniq('a'), uniq('b')]
    const [pa, pb] = await adminProducts([
      product(a, '排序测试 甲款', cat, { sales: 10 }),
      product(b, '排序测试 乙款', cat, { sales: 20 }),
    ])
    const order = async () =>
      (await call('GET', `/v1/search/suggest?q=${encodeURIComponent('排序测试')}`)).body.items.map(
        (i: any) => i.id,
      )
    expect(await order()).toEqual([pb!.id, pa!.id])

    const run = async (input: Record<string, unknown>) => {
      const sqls = productUpsertSql(product(a, '排序测试 甲款', cat, input) as any, {
        id: newId('product'),
        now: Date.now(),
      })
      const results = await env.DB.batch(toStatements(env.DB, sqls))
      return results.reduce((n, r) => n + r.meta.rows_written, 0)
    }
    const keyRows = await count(
      'SELECT COUNT(*) AS n FROM search_keys WHERE target_id = (SELECT search_id FROM products WHERE sku = ?)',
      a,
    )
    expect(await run({ sales: 10, stock: 7, price: { amount: 1, currency: 'CNY' } })).toBeLessThan(
      10,
    )
    expect(await run({ stock: 8 })).toBeLessThan(10)
    expect(await run({ sales: 30 })).toBeGreaterThan(keyRows)
    await adminProducts([product(uniq('nudge'), '无关 商品', cat)]) // bumps the catalog version
    expect(await order()).toEqual([pa!.id, pb!.id])
  })

  it('re-keys an unchanged product written again when its reading changed (美的 meide → meidi)', async () => {
    const cat = uniq('cat')
    await adminCategories([{ slug: cat, name: '厨电' }])
    const sku = uniq('midea')
    const body = product(sku, '美的 电压力锅 MY-50', cat, { sales: 5 })
    const [p] = await adminProducts([body])
    // The row as a release before BRAND_READINGS wrote it: keyed and search_text under "meide".
    const searchId = `(SELECT search_id FROM products WHERE sku = '${sku}')`
    await env.DB.batch([
      env.DB.prepare(`DELETE FROM search_keys WHERE target_id = ${searchId} AND key LIKE 'meid%'`),
      env.DB.prepare(
        `INSERT INTO search_keys (key, rank, target_id) VALUES ('meide', 1, ${searchId})`,
      ),
      env.DB.prepare(
        `UPDATE products SET search_text = replace(search_text, 'meidi', 'meide') WHERE sku = ?`,
      ).bind(sku),
    ])
    const keys = () =>
      env.DB.prepare(
        `SELECT key FROM search_keys WHERE target_id = ${searchId} AND key LIKE 'meid%' ORDER BY key`,
      )
        .all<{ key: string }>()
        .then((r) => r.results.map((k) => k.key))
    expect(await keys()).toEqual(['meide'])

    await adminProducts([body]) // the seeder or an operator posting the same product again
    expect(await keys()).toContain('meidi')
    expect(await keys()).not.toContain('meide')
    const found = await call('GET', '/v1/search/suggest?q=meidi')
    expect(found.body.items.map((i: any) => i.id)).toContain(p!.id)
  })

  it('writes 100 products in one call', async () => {
    const cat = uniq('bulk')
    await adminCategories([{ slug: cat, name: '批量' }])
    const items = await adminProducts(
      Array.from({ length: 100 }, (_, i) =>
        product(uniq(`bulk${i}`), `批量商品 第${i}号 测试`, cat),
      ),
    )
    expect(items).toHaveLength(100)
    expect(new Set(items.map((i) => i.id)).size).toBe(100)
  })
})

describe('admin products: errors', () => {
  it('an unknown category_slug is 400 listing it, and no product of the call is written', async () => {
    const cat = uniq('cat')
    await adminCategories([{ slug: cat, name: '家电' }])
    const [good, bad] = [uniq('good'), uniq('bad')]
    const missing = uniq('nope')
    const body = expectProblem(
      await call('POST', '/v1/admin/products', {
        headers: ADMIN,
        body: { products: [product(good, '好 商品', cat), product(bad, '坏 商品', missing)] },
      }),
      400,
      'unknown_category',
    )
    expect(body.unknown_slugs).toEqual([missing])
    expect(body.errors).toEqual([
      { path: 'products.1.category_slug', message: `unknown category ${missing}` },
    ])
    expect(await count('SELECT COUNT(*) AS n FROM products WHERE sku IN (?, ?)', good, bad)).toBe(0)
  })

  it('a batch that fails inside SQL writes nothing: no product, no search key, no version bump', async () => {
    const cat = uniq('cat')
    await adminCategories([{ slug: cat, name: '原子' }])
    const version = await count('SELECT version AS n FROM catalog_state WHERE id = 1')
    const keysBefore = await count('SELECT COUNT(*) AS n FROM search_keys')
    const [ok, late] = [uniq('ok'), uniq('late')]
    // The second product's category vanished between the check and the batch (simulated by
    // skipping the check): category_id is NOT NULL, so the whole batch aborts.
    const sqls = [
      ...productUpsertSql(product(ok, '原子 商品 甲', cat) as any, {
        id: newId('product'),
        now: Date.now(),
      }),
      ...productUpsertSql(product(late, '原子 商品 乙', uniq('gone')) as any, {
        id: newId('product'),
        now: Date.now(),
      }),
      { sql: 'UPDATE catalog_state SET version = version + 1 WHERE id = 1', params: [] },
    ]
    await expect(env.DB.batch(toStatements(env.DB, sqls))).rejects.toThrow(/NOT NULL/)
    expect(await count('SELECT COUNT(*) AS n FROM products WHERE sku IN (?, ?)', ok, late)).toBe(0)
    expect(await count('SELECT COUNT(*) AS n FROM search_keys')).toBe(keysBefore)
    expect(await count('SELECT version AS n FROM catalog_state WHERE id = 1')).toBe(version)
  })

  it('stock below what pending orders hold is 409 naming the row; nothing written', async () => {
    const cat = uniq('cat')
    await adminCategories([{ slug: cat, name: '预留' }])
    const [bystander, held, alsoHeld] = [uniq('by'), uniq('held'), uniq('also')]
    const [by, h, also] = await adminProducts([
      product(bystander, '预留 旁观 商品', cat, { stock: 50 }),
      product(held, '预留 热卖 商品', cat, { stock: 5 }),
      product(alsoHeld, '预留 另一 商品', cat, { stock: 8 }),
    ])
    const { tv } = await household()
    const placed = await call('POST', '/v1/orders', {
      token: tv.token,
      body: {
        items: [
          { product_id: h!.id, quantity: 3 },
          { product_id: also!.id, quantity: 6 },
        ],
      },
    })
    expect(placed.status, placed.text).toBe(201)
    const keys = (sku: string) =>
      env.DB.prepare(
        `SELECT key, rank FROM search_keys
         WHERE target_id = (SELECT search_id FROM products WHERE sku = ?) ORDER BY key, rank`,
      )
        .bind(sku)
        .all()
    const keysBefore = (await keys(bystander)).results
    const version = await count('SELECT version AS n FROM catalog_state WHERE id = 1')
    const post = (products: unknown[]) =>
      call('POST', '/v1/admin/products', { headers: ADMIN, body: { products } })

    // The bystander is renamed (new search keys) and restocked in the same call: all or nothing.
    const renamed = product(bystander, '改名 旁观 商品', cat, { stock: 7 })
    const tooFew = product(held, '预留 热卖 商品', cat, { stock: 2 })
    const one = expectProblem(await post([renamed, tooFew]), 409, 'conflict')
    expect(one.detail).toBe(
      `stock of ${held} cannot go below the 3 units held by pending orders; nothing was written`,
    )
    expect(one.errors).toEqual([{ path: 'products.1.stock', message: 'at least 3' }])
    const row = await env.DB.prepare('SELECT title, stock, reserved FROM products WHERE sku = ?')
      .bind(bystander)
      .first()
    expect(row).toEqual({ title: '预留 旁观 商品', stock: 50, reserved: 0 })
    expect((await keys(bystander)).results).toEqual(keysBefore)
    expect(await unitsOf(h!.id)).toEqual({ stock: 5, reserved: 3 })
    expect(await count('SELECT version AS n FROM catalog_state WHERE id = 1')).toBe(version)

    const two = expectProblem(
      await post([
        product(alsoHeld, '预留 另一 商品', cat, { stock: 5 }),
        renamed,
        product(held, '预留 热卖 商品', cat, { stock: 0 }),
      ]),
      409,
      'conflict',
    )
    expect(two.errors).toEqual([
      { path: 'products.0.stock', message: 'at least 6' },
      { path: 'products.2.stock', message: 'at least 3' },
    ])
    expect(await unitsOf(also!.id)).toEqual({ stock: 8, reserved: 6 })

    // Down to exactly what is held is fine: nothing left to sell.
    await adminProducts([product(held, '预留 热卖 商品', cat, { stock: 3 }), renamed])
    expect(await unitsOf(h!.id)).toEqual({ stock: 3, reserved: 3 })
    expect(await unitsOf(by!.id)).toEqual({ stock: 7, reserved: 0 })
    expect((await call('GET', `/v1/products/${h!.id}`)).body.stock_status).toBe('out_of_stock')
  })

  it('validates money, stock, images, attributes, duplicates and batch size', async () => {
    const cat = uniq('cat')
    await adminCategories([{ slug: cat, name: '校验' }])
    const post = (products: unknown) =>
      call('POST', '/v1/admin/products', { headers: ADMIN, body: { products } })
    const base = product(uniq('v'), '校验 商品', cat)
    const bad: Array<[string, unknown]> = [
      ['float price', { ...base, price: { amount: 99.5, currency: 'CNY' } }],
      ['number price', { ...base, price: 9900 }],
      ['foreign currency', { ...base, price: { amount: 9900, currency: 'USD' } }],
      ['negative price', { ...base, price: { amount: -1, currency: 'CNY' } }],
      ['negative stock', { ...base, stock: -1 }],
      ['fractional stock', { ...base, stock: 1.5 }],
      ['empty title', { ...base, title: '  ' }],
      ['long title', { ...base, title: 'x'.repeat(201) }],
      ['bad sku', { ...base, sku: 'has space' }],
      ['image without size', { ...base, images: [{ url: 'https://x.example/a.jpg' }] }],
      [
        'javascript url',
        { ...base, images: [{ url: 'javascript:alert(1)', width: 1, height: 1 }] },
      ],
      ['nested attribute', { ...base, attributes: { a: { b: 1 } } }],
      ['unknown field', { ...base, colour: 'red' }],
      ['missing brand', { ...base, brand: undefined }],
    ]
    for (const [label, p] of bad) {
      const res = await post([p])
      expect(res.status, label).toBe(400)
      expectProblem(res, 400, 'validation_failed')
    }
    expectProblem(await post([]), 400, 'validation_failed')
    expectProblem(
      await post(Array.from({ length: 101 }, (_, i) => ({ ...base, sku: `s${i}` }))),
      400,
      'validation_failed',
    )
    const dup = expectProblem(await post([base, base]), 400, 'validation_failed')
    expect(dup.errors[0].path).toBe('products.1.sku')
    expect(await count('SELECT COUNT(*) AS n FROM products WHERE sku = ?', base.sku)).toBe(0)
  })

  it('malformed JSON is 400 malformed_json; a body over 1 MB is 413', async () => {
    const malformed = await call('POST', '/v1/admin/products', {
      headers: { ...ADMIN, 'content-type': 'application/json' },
      rawBody: '{"products": [',
    })
    expectProblem(malformed, 400, 'malformed_json')
    const huge = JSON.stringify({
      products: [{ ...product('big', 'big', 'x'), description: 'x'.repeat(1_100_000) }],
    })
    const tooBig = await call('POST', '/v1/admin/products', {
      headers: { ...ADMIN, 'content-type': 'application/json' },
      rawBody: huge,
    })
    expectProblem(tooBig, 413, 'payload_too_large')
  })
})

describe('admin: security', () => {
  const body = { categories: [{ slug: 'sec', name: 'sec' }] }
  it('refuses a missing, wrong or non-admin token with 401, and writes nothing', async () => {
    const user = await createTestUser()
    const device = await createTestDevice(user.id)
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong-token-0123456789abcdef' },
      { authorization: 'Bearer test-admin-token-0123456789abcde' },
      { authorization: 'Basic dGVzdDp0ZXN0' },
      { authorization: `Bearer ${user.token}` },
      { authorization: `Bearer ${device.token}` },
    ]
    for (const headers of attempts) {
      for (const path of ['/v1/admin/categories', '/v1/admin/products']) {
        expectProblem(await call('POST', path, { headers, body }), 401, 'unauthorized')
      }
    }
    expect(await count("SELECT COUNT(*) AS n FROM categories WHERE slug = 'sec'")).toBe(0)
  })

  it('stores hostile text as data: titles full of SQL are searchable, tables intact', async () => {
    const cat = uniq('cat')
    await adminCategories([{ slug: cat, name: "'); DROP TABLE products; --" }])
    const [p] = await adminProducts([
      product(uniq('sql'), "Robert'); DROP TABLE products;-- 电视", cat),
    ])
    const res = await call('GET', `/v1/products/${p!.id}`)
    expect(res.body.title).toBe("Robert'); DROP TABLE products;-- 电视")
    expect(await count('SELECT COUNT(*) AS n FROM products')).toBeGreaterThan(0)
  })
})
