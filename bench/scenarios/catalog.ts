import type { Scenario, ScenarioContext, Targets } from './registry'
import { registerScenarioGroup } from './registry'

type List<T> = { items: T[]; next_cursor: string | null }
type Category = { id: string; name: string; parent_id: string | null }
type ProductRow = { id: string }

const SUGGEST_LIMIT = 10
const PAGE_LIMIT = 20
const DEEP_PAGE = 1000
/** The targets for reads a TV makes on every keypress or page. */
const HOT_READ: Targets = {
  d1Queries: 1,
  p50DeltaUs: 1500,
  p99DeltaUs: 8000,
  minThroughputRatio: 0.2,
}

/** What a remote control types: pinyin letter by letter, Han, and phone-keypad digits. */
const KEYPRESSES: Array<{ q: string; t9?: boolean }> = [
  ...['x', 'xi', 'xia', 'xiao', 'xiaom', 'xiaomi'].map((q) => ({ q })),
  { q: '电' },
  { q: '电视' },
  ...['9', '94', '942', '9426'].map((q) => ({ q, t9: true })),
]

function suggestPath(q: string, t9 = false) {
  const mode = t9 ? '&mode=t9' : ''
  return `/v1/search/suggest?q=${encodeURIComponent(q)}&limit=${SUGGEST_LIMIT}${mode}`
}

/** Follows next_cursor from page 1: returns the cursor of page `depth` and every id seen. */
async function walkPages(ctx: ScenarioContext, categoryId: string, depth: number) {
  const ids: string[] = []
  let cursor: string | null = null
  const base = `/v1/products?category_id=${encodeURIComponent(categoryId)}&limit=${PAGE_LIMIT}`
  for (let page = 1; page < depth; page++) {
    const path: string = cursor ? `${base}&cursor=${encodeURIComponent(cursor)}` : base
    const list: List<ProductRow> = await ctx.getJson<List<ProductRow>>('uncached', path)
    ids.push(...list.items.map((p) => p.id))
    if (!list.next_cursor) {
      throw new Error(`category ${categoryId} ends at page ${page}; the bench needs ${depth} pages`)
    }
    cursor = list.next_cursor
  }
  return { deepPath: `${base}&cursor=${encodeURIComponent(cursor!)}`, ids }
}

registerScenarioGroup({
  name: 'catalog',
  async setup(ctx) {
    const categories = await ctx.getJson<List<Category>>('uncached', '/v1/categories')
    const tv = categories.items.find((c) => c.name === '电视')
    if (!tv) throw new Error('the bench database has no 电视 category')
    const started = Date.now()
    const { deepPath, ids } = await walkPages(ctx, tv.id, DEEP_PAGE)
    ctx.log(`  walked ${DEEP_PAGE - 1} cursors of 电视 in ${Date.now() - started} ms`)
    const hot = ids[0]

    const suggest: Scenario[] = KEYPRESSES.map(({ q, t9 }) => ({
      name: `suggest ${t9 ? 't9 ' : ''}${q}`,
      target: 'uncached',
      request: () => ({ path: suggestPath(q, t9) }),
      targets: { ...HOT_READ, rowsRead: SUGGEST_LIMIT + 10, maxBytes: 2048 },
    }))
    return [
      ...suggest,
      {
        name: 'detail',
        target: 'uncached',
        note: 'product detail, 500 products in turn',
        request: (i) => ({ path: `/v1/products/${ids[i % 500]}` }),
        targets: { ...HOT_READ, rowsRead: 1 + 10 },
      },
      {
        name: `page ${DEEP_PAGE} deep`,
        target: 'uncached',
        note: `电视 by popularity, limit ${PAGE_LIMIT}, cursor of page ${DEEP_PAGE}`,
        request: () => ({ path: deepPath }),
        targets: { ...HOT_READ, rowsRead: PAGE_LIMIT + 10 },
      },
      {
        name: 'home',
        target: 'uncached',
        note: 'every rail in one batch',
        request: () => ({ path: '/v1/home' }),
        targets: { d1Queries: 1 },
      },
      {
        name: 'detail cache hit',
        target: 'cached',
        note: 'one product again and again: served from the Workers Cache API',
        request: () => ({ path: `/v1/products/${hot}` }),
      },
      {
        name: 'detail cache miss',
        target: 'cached',
        note: 'a different product every request: cache lookup, D1, cache put',
        // ids[0] is the hot one above; the rest are each asked for once
        request: (i) => ({ path: `/v1/products/${ids[1 + (i % (ids.length - 1))]}` }),
      },
      {
        name: 'suggest xiao cache hit',
        target: 'cached',
        note: 'a hot prefix',
        request: () => ({ path: suggestPath('xiao') }),
      },
    ]
  },
})
