import { beforeAll, describe, expect, it } from 'vitest'
import { upsertCategories, upsertProducts } from '../../src/catalog/admin'
import { catalogVersion } from '../../src/catalog/cache'
import { listCategories } from '../../src/catalog/categories'
import { loadHome } from '../../src/catalog/home'
import { getProduct, listProducts } from '../../src/catalog/products'
import { searchProducts, suggest } from '../../src/catalog/search'
import { type Recorded, queryPlan, recordingEnv } from './recording-db'
import { adminCategories, adminProducts, product, uniq } from './fixtures'
import { homeRails, productExtras } from '../../src/wiring'

/**
 * Runs every catalog read and write through a recorder, then asks SQLite for the plan of each
 * statement it saw. A full scan of products or search_keys (`SCAN products` without an index)
 * fails the test; so does sorting a products list in a temp b-tree (the index must give order).
 */

const SORTED = /USE TEMP B-TREE FOR ORDER BY/

/**
 * Plan lines that read all of products or search_keys (under any alias, not a subquery's rows).
 * The one scan allowed is an index walked in ORDER BY order and stopped by LIMIT (best sellers).
 */
function fullScans(plan: string[], sql: string): string[] {
  const subqueries = new Set(
    plan.map((l) => /^(?:CO-ROUTINE|MATERIALIZE) (\S+)/.exec(l)?.[1]).filter(Boolean),
  )
  const aliases = new Set(['products', 'search_keys'])
  for (const m of sql.matchAll(/\b(?:products|search_keys)\s+(?:AS\s+)?([a-z]\w*)/gi)) {
    if (!/^(WHERE|SET|ON|JOIN|LEFT|ORDER|GROUP|LIMIT|VALUES|SELECT)$/i.test(m[1]!))
      aliases.add(m[1]!)
  }
  return plan.filter((line) => {
    const scanned = /^SCAN (\S+)/.exec(line)?.[1]
    if (!scanned || subqueries.has(scanned) || !aliases.has(scanned)) return false
    const orderedAndLimited =
      /USING (COVERING )?INDEX/.test(line) &&
      /\bLIMIT\b/i.test(sql) &&
      !plan.some((l) => SORTED.test(l))
    return !orderedAndLimited
  })
}

let rootId = ''
let childId = ''
let productId = ''

beforeAll(async () => {
  const [root, child] = [uniq('root'), uniq('child')]
  const categories = await adminCategories([
    { slug: root, name: '电视' },
    { slug: child, name: 'OLED电视', parent_slug: root },
  ])
  rootId = categories[0]!.id
  childId = categories[1]!.id
  const products = await adminProducts([
    product(uniq('p'), '小米电视 EA55 智能电视', child, { sales: 5 }),
    product(uniq('q'), '创维 电视 65A3', root, { sales: 9 }),
  ])
  productId = products[0]!.id
})

async function plansOf(
  run: (env: Env) => Promise<unknown>,
): Promise<Array<Recorded & { plan: string[] }>> {
  const rec = recordingEnv()
  await run(rec.env)
  const out = []
  for (const s of rec.statements) {
    if (/^\s*(INSERT|UPDATE|DELETE)/i.test(s.sql)) continue
    out.push({ ...s, plan: await queryPlan(s) })
  }
  return out
}

const reads: Record<string, (env: Env) => Promise<unknown>> = {
  home: (env) => loadHome(env, homeRails, null, Date.now()),
  categories: (env) => listCategories(env),
  'products, all': (env) => listProducts(env, { limit: 20 }),
  'products, root category': (env) => listProducts(env, { categoryId: rootId, limit: 20 }),
  'products, child category': (env) => listProducts(env, { categoryId: childId, limit: 20 }),
  'products, deep page': async (env) => {
    const first = await listProducts(env, { categoryId: rootId, limit: 1 })
    return listProducts(env, { categoryId: rootId, limit: 1, cursor: first.next_cursor! })
  },
  'product detail': (env) => getProduct(env, productExtras, productId, Date.now()),
  'suggest, key': (env) => suggest(env, 'ds', 'text', 8),
  'suggest, filtered': (env) => suggest(env, 'xiaomidianshi', 'text', 8),
  'suggest, t9': (env) => suggest(env, '96', 't9', 8),
  'search, page 2': async (env) => {
    const first = await searchProducts(env, { q: 'dians', mode: 'text', limit: 1 })
    return searchProducts(env, { q: 'dians', mode: 'text', limit: 1, cursor: first.next_cursor! })
  },
  'search, filtered': (env) => searchProducts(env, { q: 'dianshiji', mode: 'text', limit: 5 }),
  'catalog version': (env) => catalogVersion(env, Date.now() + 60_000),
}

describe('every catalog query uses an index', () => {
  for (const [label, run] of Object.entries(reads)) {
    it(label, async () => {
      const plans = await plansOf(run)
      expect(plans.length).toBeGreaterThan(0)
      for (const { sql, plan } of plans) {
        const where = `${sql.replace(/\s+/g, ' ').slice(0, 160)}\n  ${plan.join('\n  ')}`
        expect(fullScans(plan, sql), where).toEqual([])
        if (/FROM products|JOIN products|FROM search_keys/.test(sql))
          expect(
            plan.filter((l) => SORTED.test(l)),
            where,
          ).toEqual([])
      }
    })
  }

  it('admin upserts: their reads and the statements inside the batch', async () => {
    const rec = recordingEnv()
    const slug = uniq('plan')
    await upsertCategories(rec.env, [{ slug, name: '计划' }], Date.now())
    await upsertProducts(rec.env, [product(uniq('plan'), '计划 商品', slug) as any], Date.now())
    for (const s of rec.statements) {
      // Writes are planned too: EXPLAIN QUERY PLAN on DELETE/UPDATE shows how rows are found.
      const plan = await queryPlan(s)
      expect(fullScans(plan, s.sql), `${s.sql}\n${plan.join('\n')}`).toEqual([])
    }
  })

  it('the detector itself flags a full scan', async () => {
    const plain = 'SELECT id FROM products WHERE title = ?'
    expect(fullScans(await queryPlan({ sql: plain, params: ['x'] }), plain)).toHaveLength(1)
    const aliased = 'SELECT p.id FROM products p WHERE p.brand = ?'
    expect(fullScans(await queryPlan({ sql: aliased, params: ['x'] }), aliased)).toHaveLength(1)
    const keys = 'SELECT k.target_id FROM search_keys AS k WHERE k.rank > ?'
    expect(fullScans(await queryPlan({ sql: keys, params: [1] }), keys)).toHaveLength(1)
  })
})
