import { beforeAll, describe, expect, it } from 'vitest'
import { loadHome, type ProductExtra } from '../../src/catalog/home'
import { getProduct, listProducts } from '../../src/catalog/products'
import { encodeCursor } from '../../src/lib/pagination'
import { call, expectProblem } from '../helpers/http'
import { household } from '../payments/helpers'
import { adminCategories, adminProducts, product, uniq } from './fixtures'
import { recordingEnv } from './recording-db'
import { homeRails, productExtras } from '../../src/wiring'

const cat: Record<string, string> = {}
const prod: Record<string, string> = {}

beforeAll(async () => {
  const s = { tv: uniq('tv'), oled: uniq('oled'), phone: uniq('phone') }
  const made = await adminCategories([
    { slug: s.tv, name: '电视', position: 1 },
    { slug: s.oled, name: 'OLED电视', parent_slug: s.tv },
    { slug: s.phone, name: '手机', position: 2 },
  ])
  ;[cat.tv, cat.oled, cat.phone] = made.map((m) => m.id)
  const rows = {
    tvA: product(uniq('a'), '小米电视 A', s.tv, { sales: 30, stock: 100 }),
    tvB: product(uniq('b'), '创维电视 B', s.tv, { sales: 20, stock: 5 }),
    oledC: product(uniq('c'), 'LG OLED C', s.oled, {
      sales: 25,
      stock: 0,
      description: '自发光',
      images: [
        { url: 'https://img.example/c1.jpg', width: 800, height: 800 },
        { url: 'https://img.example/c2.jpg', width: 1200, height: 900 },
      ],
      attributes: { 屏幕尺寸: '65英寸', hdr: true, 刷新率: 120 },
    }),
    tvD: product(uniq('d'), '海信电视 D', s.tv, { sales: 20 }),
    phoneE: product(uniq('e'), '华为 手机 E', s.phone, { sales: 99 }),
  }
  const ids = await adminProducts(Object.values(rows))
  Object.keys(rows).forEach((k, i) => (prod[k] = ids[i]!.id))
})

const names = (items: Array<{ id: string }>) =>
  items.map((i) => Object.entries(prod).find(([, v]) => v === i.id)?.[0] ?? i.id)

describe('categories', () => {
  it('lists roots first with parent ids', async () => {
    const res = await call('GET', '/v1/categories')
    expect(res.status).toBe(200)
    const ids = res.body.items.map((c: any) => c.id)
    expect(ids.indexOf(cat.tv)).toBeLessThan(ids.indexOf(cat.oled))
    expect(res.body.items.find((c: any) => c.id === cat.oled)).toMatchObject({
      name: 'OLED电视',
      parent_id: cat.tv,
    })
    expect(res.body.items.find((c: any) => c.id === cat.tv).parent_id).toBeNull()
  })
})

describe('product lists', () => {
  it('orders by popularity; a root includes its children, a child only itself', async () => {
    const root = await call('GET', `/v1/products?category_id=${cat.tv}`)
    expect(names(root.body.items)).toEqual([
      'tvA',
      'oledC',
      ...(prod.tvB! > prod.tvD! ? ['tvB', 'tvD'] : ['tvD', 'tvB']),
    ])
    const child = await call('GET', `/v1/products?category_id=${cat.oled}`)
    expect(names(child.body.items)).toEqual(['oledC'])
    expect(child.body.next_cursor).toBeNull()
  })

  it('walks every page with the keyset cursor, ties broken by id, no repeats', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: any = await call(
        'GET',
        `/v1/products?category_id=${cat.tv}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(res.status).toBe(200)
      expect(res.body.items.length).toBe(1)
      seen.push(...names(res.body.items))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toHaveLength(4)
    expect(new Set(seen).size).toBe(4)
  })

  it('lists everything without a category, best sellers first', async () => {
    const res = await call('GET', '/v1/products?limit=2')
    expect(names(res.body.items)).toEqual(['phoneE', 'tvA'])
    expect(res.body.next_cursor).toEqual(expect.any(String))
  })

  it('shows list rows with money, first image and stock status only', async () => {
    const res = await call('GET', `/v1/products?category_id=${cat.oled}`)
    expect(res.body.items[0]).toEqual({
      id: prod.oledC,
      title: 'LG OLED C',
      brand: 'LG',
      price: { amount: 99900, currency: 'CNY' },
      image: { url: 'https://img.example/c1.jpg', width: 800, height: 800 },
      category_id: cat.oled,
      stock_status: 'out_of_stock',
    })
    const tvB = (await call('GET', `/v1/products/${prod.tvB}`)).body
    expect(tvB.stock_status).toBe('low_stock')
    expect(tvB.image).toBeNull()
  })

  it('stock_status counts units held by pending orders as gone, on lists and details', async () => {
    const slug = uniq('held')
    const [category] = await adminCategories([{ slug, name: '预留' }])
    const [p] = await adminProducts([product(uniq('held'), '预留 电视', slug, { stock: 12 })])
    const status = async () => {
      const list = await call('GET', `/v1/products?category_id=${category!.id}`)
      const detail = await call('GET', `/v1/products/${p!.id}`)
      return [list.body.items[0].stock_status, detail.body.stock_status]
    }
    expect(await status()).toEqual(['in_stock', 'in_stock'])
    const { tv } = await household()
    const hold = async (quantity: number) => {
      const body = { items: [{ product_id: p!.id, quantity }] }
      const res = await call('POST', '/v1/orders', { token: tv.token, body })
      expect(res.status, res.text).toBe(201)
      return res.body.payment.id as string
    }
    const two = await hold(2)
    expect(await status()).toEqual(['low_stock', 'low_stock'])
    const ten = await hold(10)
    expect(await status()).toEqual(['out_of_stock', 'out_of_stock'])
    await call('POST', `/v1/payments/${ten}/cancel`, { token: tv.token })
    expect(await status()).toEqual(['low_stock', 'low_stock'])
    await call('POST', `/v1/payments/${two}/cancel`, { token: tv.token })
    expect(await status()).toEqual(['in_stock', 'in_stock'])
  })

  it('refuses bad limits and forged cursors; an unknown category is 404', async () => {
    for (const limit of ['0', '51', '-3', 'ten', '1e3', '2.5']) {
      expectProblem(await call('GET', `/v1/products?limit=${limit}`), 400, 'validation_failed')
    }
    for (const cursor of [
      '%%%',
      'e30',
      encodeCursor({ s: -1, i: 'x' }),
      encodeCursor({ s: 1 }),
      encodeCursor({ r: 1, t: 1 }),
      'x'.repeat(600),
    ]) {
      const res = await call('GET', `/v1/products?cursor=${encodeURIComponent(cursor)}`)
      expect(res.status).toBe(400)
      expect(['invalid_cursor', 'validation_failed']).toContain(res.body.code)
    }
    expectProblem(await call('GET', '/v1/products?category_id=cat_nope'), 404, 'not_found')
    expectProblem(await call('GET', `/v1/products?category_id=${"' OR 1=1 --"}`), 404, 'not_found')
  })

  it('a page is one round trip reading at most limit + 10 rows, deep pages too', async () => {
    for (const categoryId of [undefined, cat.tv, cat.oled]) {
      const rec = recordingEnv()
      const first = await listProducts(rec.env, { categoryId, limit: 2 })
      const deep = await listProducts(rec.env, {
        categoryId,
        limit: 2,
        cursor: first.next_cursor ?? undefined,
      })
      expect(deep.items.length).toBeGreaterThanOrEqual(0)
      expect(rec.stats.roundTrips).toBe(2)
      expect(rec.stats.rowsRead).toBeLessThanOrEqual(2 * (2 + 10))
    }
  })
})

describe('product detail', () => {
  it('has description, images, attributes and active_deal null without a deal', async () => {
    const res = await call('GET', `/v1/products/${prod.oledC}`)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      id: prod.oledC,
      description: '自发光',
      images: [
        { url: 'https://img.example/c1.jpg', width: 800, height: 800 },
        { url: 'https://img.example/c2.jpg', width: 1200, height: 900 },
      ],
      attributes: { 屏幕尺寸: '65英寸', hdr: true, 刷新率: 120 },
      active_deal: null,
      price: { amount: 99900, currency: 'CNY' },
    })
  })

  it('unknown and malformed ids are 404', async () => {
    for (const id of ['prod_00000000000000000000000000', 'nope', "x' OR '1'='1", '%E7%94%B5']) {
      expectProblem(await call('GET', `/v1/products/${id}`), 404, 'not_found')
    }
  })

  it('runs the extras in the same single batch as the product read', async () => {
    const testExtra: ProductExtra = {
      field: 'test_extra',
      query: (e, productId) => e.DB.prepare('SELECT ? AS pid, 42 AS answer').bind(productId),
      toValue: (rows) => rows[0] ?? null,
    }
    const rec = recordingEnv()
    const extras = [...productExtras, testExtra]
    const detail: any = await getProduct(rec.env, extras, prod.tvA!, Date.now())
    expect(detail.test_extra).toEqual({ pid: prod.tvA, answer: 42 })
    expect(detail.active_deal).toBeNull()
    expect(rec.stats.roundTrips).toBe(1)
  })
})

describe('home', () => {
  it('fills a screen: categories, best sellers, a rail per top category', async () => {
    const res = await call('GET', '/v1/home')
    expect(res.status).toBe(200)
    const byId = Object.fromEntries(res.body.rails.map((r: any) => [r.id, r]))
    expect(byId.categories.kind).toBe('categories')
    expect(byId.categories.items.map((c: any) => c.id)).toEqual(
      expect.arrayContaining([cat.tv, cat.phone]),
    )
    expect(byId.categories.items.map((c: any) => c.id)).not.toContain(cat.oled)
    expect(names(byId['best-sellers'].items).slice(0, 2)).toEqual(['phoneE', 'tvA'])
    const tvRail = res.body.rails.find((r: any) => r.title === '电视 热销')
    expect(tvRail.kind).toBe('products')
    expect(names(tvRail.items)).toContain('oledC')
    for (const rail of res.body.rails) expect(rail.items.length).toBeGreaterThan(0)
  })

  it('is one batch (one round trip) with every rail statement indexed', async () => {
    const rec = recordingEnv()
    const home = await loadHome(rec.env, homeRails, null, Date.now())
    expect(home.rails.length).toBeGreaterThanOrEqual(3)
    expect(rec.stats.roundTrips).toBe(1)
  })

  it('a bad device token is 401; a good one is served privately', async () => {
    expectProblem(
      await call('GET', '/v1/home', { headers: { authorization: 'Bearer nope' } }),
      401,
      'invalid_token',
    )
  })
})

describe('methods', () => {
  it('public catalog routes refuse writes with 405', async () => {
    expectProblem(await call('POST', '/v1/products'), 405, 'method_not_allowed')
    expectProblem(await call('DELETE', `/v1/products/${prod.tvA}`), 405, 'method_not_allowed')
  })
})
