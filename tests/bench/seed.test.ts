import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
  CategoryInputSchema,
  ProductInputSchema,
  productUpsertSql,
} from '../../src/catalog/product-rows'
import { seedCategories, seedProduct, seedProducts } from '../../scripts/seed/catalog'
import { catalogSeed, categoryInputs, productInput } from '../../scripts/seed/catalog-sql'
import { seededId } from '../../scripts/seed/ids'
import { renderSql, type Sql } from '../../scripts/seed/sql'
import { ADMIN, call } from '../helpers/http'

const SEED = 'tvpay-demo-v1'
const PRODUCTS = 40

async function runBound(sqls: Sql[]) {
  await env.DB.batch(sqls.map((s) => env.DB.prepare(s.sql).bind(...s.params)))
}

async function runRendered(sqls: Sql[]) {
  await env.DB.batch(sqls.map((s) => env.DB.prepare(renderSql(s))))
}

/** Everything a product read can show, and its search keys (rank included), minus identity. */
async function snapshot(sku: string) {
  const row = await env.DB.prepare(
    `SELECT title, brand, description, category_id, root_category_id, price, stock, sales, image,
            images, attributes, search_text
     FROM products WHERE sku = ?`,
  )
    .bind(sku)
    .first()
  const { results: keys } = await env.DB.prepare(
    `SELECT key, rank FROM search_keys
     WHERE target_id = (SELECT search_id FROM products WHERE sku = ?) ORDER BY key, rank`,
  )
    .bind(sku)
    .all()
  return { row, keys }
}

describe('demo data generator', () => {
  it('is deterministic: the same seed gives the same products and ids', () => {
    expect(seedProduct(1234, SEED)).toEqual(seedProduct(1234, SEED))
    expect(seededId('product', 7, SEED)).toBe(seededId('product', 7, SEED))
    expect(seededId('product', 7, SEED)).not.toBe(seededId('product', 8, SEED))
    expect(seedProduct(5, SEED)).not.toEqual(seedProduct(5, 'another-seed'))
  })

  it('makes a believable store: 20+ categories, Chinese titles, brands, prices in fen', () => {
    const leaves = new Set<string>()
    const brands = new Set<string>()
    for (const p of seedProducts(2000, SEED)) {
      leaves.add(p.categorySlug)
      brands.add(p.brand)
      expect(Number.isSafeInteger(p.priceFen) && p.priceFen > 0).toBe(true)
      expect(p.title).toMatch(/\p{Script=Han}/u)
      expect(p.images[0]).toMatchObject({ width: 800, height: 800 })
    }
    expect(seedCategories().length).toBeGreaterThanOrEqual(20)
    expect(leaves.size).toBeGreaterThanOrEqual(20)
    for (const brand of ['创维', '海尔', '长虹', '小米', '华为', '美的']) {
      expect(brands).toContain(brand)
    }
  })

  it('every generated body passes the admin API schemas', () => {
    for (const c of categoryInputs()) expect(CategoryInputSchema.safeParse(c).success).toBe(true)
    for (const p of seedProducts(2000, SEED)) {
      const parsed = ProductInputSchema.safeParse(productInput(p))
      if (!parsed.success) throw new Error(`${p.sku}: ${parsed.error.message}`)
    }
  })
})

describe('seeded rows equal rows the admin API writes', () => {
  it('bound (bench), rendered SQL (npm run dev) and POST /v1/admin/products agree', async () => {
    const now = Date.now()
    const units = catalogSeed.units({ seed: SEED, products: PRODUCTS, now })
    for (const unit of units) await runBound(unit)

    const inputs = Array.from({ length: PRODUCTS }, (_, i) => productInput(seedProduct(i, SEED)))
    for (const [i, input] of inputs.entries()) {
      const renamed = { ...input, sku: `${input.sku}-R` }
      await runRendered(productUpsertSql(renamed, { id: `prod_rendered${i}`, now }))
    }
    const api = await call('POST', '/v1/admin/products', {
      headers: ADMIN,
      body: { products: inputs.map((p) => ({ ...p, sku: `${p.sku}-A` })) },
    })
    expect(api.status).toBe(200)

    for (const input of inputs) {
      const seeded = await snapshot(input.sku)
      expect(seeded.row).not.toBeNull()
      expect(seeded.keys.length).toBeGreaterThan(10)
      expect(await snapshot(`${input.sku}-R`)).toEqual(seeded)
      expect(await snapshot(`${input.sku}-A`)).toEqual(seeded)
    }
  })

  it('seeding again updates in place: no duplicate rows or keys', async () => {
    const count = async () =>
      env.DB.prepare(
        `SELECT (SELECT COUNT(*) FROM products) AS products, (SELECT COUNT(*) FROM categories) AS c,
                (SELECT COUNT(*) FROM search_keys) AS keys`,
      ).first()
    const before = await count()
    for (const unit of catalogSeed.units({ seed: SEED, products: PRODUCTS, now: Date.now() })) {
      await runBound(unit)
    }
    expect(await count()).toEqual(before)
  })

  it('the seeded product reads back through the public API', async () => {
    const id = seededId('product', 0, SEED)
    const res = await call('GET', `/v1/products/${id}`)
    expect(res.status).toBe(200)
    expect(res.body.title).toBe(seedProduct(0, SEED).title)
    expect(res.body.price).toEqual({ amount: seedProduct(0, SEED).priceFen, currency: 'CNY' })
  })
})

describe('renderSql (SQL files for wrangler d1 execute)', () => {
  it('inlines numbered and bare parameters the way SQLite numbers them', () => {
    const sql = { sql: 'SELECT ?2, ?1, ?, ?1', params: ['a', 2, null] }
    expect(renderSql(sql)).toBe("SELECT 2, 'a', NULL, 'a';")
  })

  it('escapes quotes and leaves quoted text and comments alone', () => {
    const sql = { sql: "SELECT '?' AS q, ? -- a ? here\n", params: ["it's"] }
    expect(renderSql(sql)).toBe("SELECT '?' AS q, 'it''s';")
  })

  it('round-trips awkward strings through D1', async () => {
    const awkward = `it's "quoted" ; -- not a comment \\ 电视 ?1 ${'x'.repeat(50)}`
    const row = await env.DB.prepare(renderSql({ sql: 'SELECT ? AS v', params: [awkward] })).first()
    expect(row).toEqual({ v: awkward })
  })

  it('refuses parameters it does not have and values SQL cannot hold', () => {
    expect(() => renderSql({ sql: 'SELECT ?3', params: [1] })).toThrow()
    expect(() => renderSql({ sql: 'SELECT ?', params: [Number.NaN] })).toThrow()
    expect(() => renderSql({ sql: 'SELECT ?', params: ['a\u0000b'] })).toThrow()
  })
})
