import { z } from '@hono/zod-openapi'
import { encodeCursor, keyset, keysetClause } from '../lib/pagination'
import { queryLookup, type SearchMode } from './search-keys'
import { SUMMARY_COLUMNS, type ProductSummary, type SummaryRow, toSummary } from './views'

/**
 * Both search endpoints read one search key in rank order (title prefix, then infix, each by
 * popularity): `WHERE key = ? ORDER BY rank DESC` on the primary key of search_keys reads exactly
 * the rows it returns. A query longer than any stored key is looked up by its capped prefix and
 * filtered with instr() over the row's search_text; that scan is bounded by FILTER_WINDOW rows
 * per request, so a rare long query costs at most that, never a walk over the whole key.
 */
export const FILTER_WINDOW = 200

/** A suggestion row shows a title on one line of a TV screen: longer titles are cut here. */
export const SUGGEST_TITLE_CHARS = 30

export type Suggestion = { id: string; title: string; kind: 'product' | 'category' }

/** Search pages go down one key's (rank, target_id); the first starts above every real pair. */
const rankOrder = keyset({
  columns: ['rank', 'target_id'],
  dir: 'DESC',
  cursor: z.object({ r: z.number().int().min(0), t: z.number().int() }).strict(),
  cursorOf: (row: { k_rank: number; k_target: number }) => ({ r: row.k_rank, t: row.k_target }),
  valuesOf: (c) => [c.r, c.t],
  start: { r: Number.MAX_SAFE_INTEGER, t: Number.MAX_SAFE_INTEGER },
})

function window(lookup: { filter: string | null }, limit: number) {
  return lookup.filter === null ? limit + 1 : Math.max(FILTER_WINDOW, limit + 1)
}

/**
 * The key window runs as a co-routine in rank order and the outer LIMIT stops it at `limit`
 * hits, so the exact-key path reads `limit` key rows and the filter path at most FILTER_WINDOW.
 */
export function suggestStatement(env: Env, q: string, mode: SearchMode, limit: number) {
  const lookup = queryLookup(q, mode)
  if (!lookup) return null
  return env.DB.prepare(
    `SELECT k.target_id, p.id AS product_id, p.title, c.id AS category_id, c.name
     FROM (SELECT rank, target_id FROM search_keys WHERE key = ?1
           ORDER BY rank DESC, target_id DESC LIMIT ?2) AS k
     LEFT JOIN products p ON k.target_id > 0 AND p.search_id = k.target_id
       AND (?3 IS NULL OR instr(p.search_text, ?3) > 0)
     LEFT JOIN categories c ON k.target_id < 0 AND c.search_id = -k.target_id
       AND (?3 IS NULL OR instr(c.search_text, ?3) > 0)
     WHERE p.id IS NOT NULL OR c.id IS NOT NULL
     ORDER BY k.rank DESC, k.target_id DESC LIMIT ?4`,
  ).bind(lookup.key, lookup.filter === null ? limit : FILTER_WINDOW, lookup.filter, limit)
}

type SuggestRow = {
  target_id: number
  product_id: string | null
  title: string | null
  category_id: string | null
  name: string | null
}

export async function suggest(
  env: Env,
  q: string,
  mode: SearchMode,
  limit: number,
): Promise<{ items: Suggestion[] }> {
  const statement = suggestStatement(env, q, mode, limit)
  if (!statement) return { items: [] }
  const { results } = await statement.all<SuggestRow>()
  const items: Suggestion[] = []
  for (const row of results) {
    if (items.length === limit) break
    if (row.product_id && row.title)
      items.push({ id: row.product_id, title: cut(row.title), kind: 'product' })
    else if (row.category_id && row.name)
      items.push({ id: row.category_id, title: cut(row.name), kind: 'category' })
  }
  return { items }
}

function cut(title: string): string {
  const chars = Array.from(title)
  return chars.length <= SUGGEST_TITLE_CHARS
    ? title
    : `${chars.slice(0, SUGGEST_TITLE_CHARS - 1).join('')}…`
}

export function searchStatement(
  env: Env,
  q: string,
  mode: SearchMode,
  limit: number,
  cursor?: string,
) {
  const page = keysetClause(rankOrder, cursor)
  const lookup = queryLookup(q, mode)
  if (!lookup) return null
  return env.DB.prepare(
    `SELECT k.rank AS k_rank, k.target_id AS k_target, ${SUMMARY_COLUMNS}
     FROM (SELECT rank, target_id FROM search_keys WHERE key = ? AND ${page.after}
           ORDER BY ${page.orderBy} LIMIT ?) AS k
     LEFT JOIN products p ON k.target_id > 0 AND p.search_id = k.target_id
       AND (? IS NULL OR instr(p.search_text, ?) > 0)
     ORDER BY k.rank DESC, k.target_id DESC`,
  ).bind(lookup.key, ...page.params, window(lookup, limit), lookup.filter, lookup.filter)
}

/**
 * Full results, same matching as suggest, products only. Each page reads a window of keys; a page
 * can hold fewer than `limit` items when the window ran out (categories, or rows the filter
 * dropped), and next_cursor then continues after the window.
 */
export async function searchProducts(
  env: Env,
  q: { q: string; mode: SearchMode; limit: number; cursor?: string },
): Promise<{ items: ProductSummary[]; next_cursor: string | null }> {
  const statement = searchStatement(env, q.q, q.mode, q.limit, q.cursor)
  if (!statement) return { items: [], next_cursor: null }
  const lookup = queryLookup(q.q, q.mode)!
  const { results } = await statement.all<SummaryRow & { k_rank: number; k_target: number }>()
  const hits = results.filter((r) => r.id !== null)
  if (hits.length > q.limit) {
    const last = hits[q.limit - 1]!
    return {
      items: hits.slice(0, q.limit).map(toSummary),
      next_cursor: encodeCursor(rankOrder.cursorOf(last)),
    }
  }
  const windowFull = results.length === window(lookup, q.limit)
  const lastScanned = results[results.length - 1]
  return {
    items: hits.map(toSummary),
    next_cursor: windowFull && lastScanned ? encodeCursor(rankOrder.cursorOf(lastScanned)) : null,
  }
}
