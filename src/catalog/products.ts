import type { RowOf } from '../db/rows'
import type { products } from '../db/schema/catalog'
import { z } from '@hono/zod-openapi'
import { ApiError } from '../http/errors'
import { keyset, keysetClause, keysetPage } from '../lib/pagination'
import type { ProductExtra } from './home'
import { SUMMARY_COLUMNS, type SummaryRow, toSummary, type ProductSummary } from './views'

/**
 * Lists are ordered by popularity, then id: the cursor is the last row's (sales, id). The first
 * page starts above every real key, so the list of all products seeks in products_popular_idx.
 */
const popularFirst = keyset({
  columns: ['p.sales', 'p.id'],
  dir: 'DESC',
  cursor: z.object({ s: z.number().int().min(0), i: z.string().min(1).max(64) }).strict(),
  cursorOf: (row: SummaryRow) => ({ s: row.sales, i: row.id }),
  valuesOf: (c) => [c.s, c.i],
  start: { s: Number.MAX_SAFE_INTEGER, i: '\u{10FFFF}' },
})

export type ProductPage = { items: ProductSummary[]; next_cursor: string | null }

/**
 * Keyset pages by popularity. A root category lists its own and its children's products (through
 * root_category_id), a child category its own. Both candidate statements and the category lookup
 * go in one batch; the statement that does not apply is switched off by a constant condition,
 * which SQLite checks once before touching any row.
 */
export function listProductsStatements(
  env: Env,
  q: { categoryId?: string; limit: number; cursor?: string },
) {
  const keys = keysetClause(popularFirst, q.cursor)
  const page = `${keys.after} ORDER BY ${keys.orderBy} LIMIT ?`
  const tail = [...keys.params, q.limit + 1]
  const id = q.categoryId
  if (id === undefined) {
    return [env.DB.prepare(`SELECT ${SUMMARY_COLUMNS} FROM products p WHERE ${page}`).bind(...tail)]
  }
  return [
    env.DB.prepare('SELECT id, parent_id FROM categories WHERE id = ?').bind(id),
    env.DB.prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM products p
       WHERE p.root_category_id = ? AND (SELECT parent_id IS NULL FROM categories WHERE id = ?) AND ${page}`,
    ).bind(id, id, ...tail),
    env.DB.prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM products p
       WHERE p.category_id = ? AND (SELECT parent_id IS NOT NULL FROM categories WHERE id = ?) AND ${page}`,
    ).bind(id, id, ...tail),
  ]
}

export async function listProducts(
  env: Env,
  q: { categoryId?: string; limit: number; cursor?: string },
): Promise<ProductPage> {
  const results = await env.DB.batch<any>(listProductsStatements(env, q))
  let rows: SummaryRow[]
  if (q.categoryId === undefined) {
    rows = results[0]!.results
  } else {
    if (results[0]!.results.length === 0)
      throw new ApiError('not_found', `No category ${q.categoryId}`)
    rows = [...results[1]!.results, ...results[2]!.results]
  }
  return keysetPage(rows, q.limit, toSummary, popularFirst)
}

export type ProductDetailRow = SummaryRow &
  Pick<RowOf<typeof products>, 'sku' | 'description' | 'images' | 'attributes'>

/** The product and every extra (active_deal, …) in one batch. */
export async function getProduct(
  env: Env,
  extras: readonly ProductExtra[],
  id: string,
  now: number,
) {
  const results = await env.DB.batch<any>([
    env.DB.prepare(
      `SELECT ${SUMMARY_COLUMNS}, p.sku, p.description, p.images, p.attributes FROM products p WHERE p.id = ?`,
    ).bind(id),
    ...extras.map((e) => e.query(env, id, now)),
  ])
  const row = results[0]!.results[0] as ProductDetailRow | undefined
  if (!row) throw new ApiError('not_found', `No product ${id}`)
  const extraValues: Record<string, unknown> = { active_deal: null }
  extras.forEach((e, i) => {
    extraValues[e.field] = e.toValue(results[i + 1]!.results) ?? null
  })
  return {
    ...toSummary(row),
    sku: row.sku,
    description: row.description,
    images: JSON.parse(row.images),
    attributes: JSON.parse(row.attributes),
    ...extraValues,
    active_deal: extraValues.active_deal ?? null,
  }
}
