import type { HomeRail } from './home'
import { SUMMARY_COLUMNS, type SummaryRow, toCategory, toSummary } from './views'

/** The catalog's own home rails (deals and bills export theirs; src/wiring.ts lists them all). */

export const RAIL_ITEMS = 10
/** One best-seller rail for each of the first TOP_CATEGORY_RAILS root categories. */
export const TOP_CATEGORY_RAILS = 4

const categories: HomeRail = {
  id: 'categories',
  title: '全部分类',
  kind: 'categories',
  position: 10,
  query: (env) =>
    env.DB.prepare(
      `SELECT id, slug, name, parent_id FROM categories WHERE parent_id IS NULL
       ORDER BY position, slug LIMIT 20`,
    ),
  toItems: (rows) => rows.map(toCategory),
}

const bestSellers: HomeRail = {
  id: 'best-sellers',
  title: '热销榜',
  kind: 'products',
  position: 20,
  query: (env) =>
    env.DB.prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM products p ORDER BY p.sales DESC, p.id DESC LIMIT ?`,
    ).bind(RAIL_ITEMS),
  toItems: (rows: SummaryRow[]) => rows.map(toSummary),
}

function topCategory(k: number): HomeRail {
  return {
    id: `top-category-${k + 1}`,
    title: '热销',
    kind: 'products',
    position: 30 + k,
    query: (env) =>
      // The root is a scalar subquery, so the plan is an ordered range of products_root_popular_idx
      // that stops after RAIL_ITEMS rows (a join from a one-row subquery would sort the category).
      env.DB.prepare(
        `SELECT (SELECT name FROM categories WHERE id = p.root_category_id) AS rail_category, ${SUMMARY_COLUMNS}
         FROM products p
         WHERE p.root_category_id = (SELECT id FROM categories WHERE parent_id IS NULL
                                     ORDER BY position, slug LIMIT 1 OFFSET ?1)
         ORDER BY p.sales DESC, p.id DESC LIMIT ?2`,
      ).bind(k, RAIL_ITEMS),
    toItems: (rows: SummaryRow[]) => rows.map(toSummary),
    titleFrom: (rows: Array<{ rail_category: string }>) =>
      rows[0] ? `${rows[0].rail_category} 热销` : null,
  }
}

export const catalogRails: readonly HomeRail[] = [
  categories,
  bestSellers,
  ...Array.from({ length: TOP_CATEGORY_RAILS }, (_, k) => topCategory(k)),
]
