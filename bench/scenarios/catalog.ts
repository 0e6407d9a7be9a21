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
/** A cache miss against the D1 path, head to head: no slower, within this much (µs). */
const MISS_SLACK = { p50SlackUs: 250, p99SlackUs: 2000 }

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

/**
 * The `k`-th of every `stride` ids from `start` (stride 2 with starts 0 and 1 split a range
 * between a route and its reference): a product appears once. Running past `end` throws: a
 * repeated product would be a cache hit in a row that measures misses.
 */
function distinct(ids: string[], start: number, end: number, stride: number) {
  return (k: number) => {
    const at = start + k * stride
    if (at >= end) throw new Error(`ran out of distinct products (${end - start}): fewer rounds`)
    return ids[at]!
  }
}

/**
 * Follows next_cursor from page 1: returns the cursor of page `depth` and every id seen on the
 * first `depth - 1` pages and up to `morePages` more (fewer where the category ends).
 */
async function walkPages(ctx: ScenarioContext, categoryId: string, depth: number, morePages = 0) {
  const ids: string[] = []
  let cursor: string | null = null
  let deepPath = ''
  const base = `/v1/products?category_id=${encodeURIComponent(categoryId)}&limit=${PAGE_LIMIT}`
  for (let page = 1; page < depth + morePages; page++) {
    if (page === depth) deepPath = `${base}&cursor=${encodeURIComponent(cursor!)}`
    const path: string = cursor ? `${base}&cursor=${encodeURIComponent(cursor)}` : base
    const list: List<ProductRow> = await ctx.getJson<List<ProductRow>>('uncached', path)
    ids.push(...list.items.map((p) => p.id))
    if (!list.next_cursor) {
      if (page >= depth) break
      throw new Error(`category ${categoryId} ends at page ${page}; the bench needs ${depth} pages`)
    }
    cursor = list.next_cursor
  }
  return { deepPath: deepPath || `${base}&cursor=${encodeURIComponent(cursor!)}`, ids }
}

/**
 * The D1 path in the same isolate: the bench bundle runs such a request with both layers off
 * (bench/caches-off.ts).
 */
const CACHES_OFF = { 'x-bench-caches': 'off' }

registerScenarioGroup({
  name: 'catalog',
  async setup(ctx) {
    const categories = await ctx.getJson<List<Category>>('uncached', '/v1/categories')
    const tv = categories.items.find((c) => c.name === '电视')
    if (!tv) throw new Error('the bench database has no 电视 category')
    const started = Date.now()
    // Past the deep page to the category's end (1,086 pages in the bench data): products
    // never read, for the miss rows.
    const { deepPath, ids } = await walkPages(ctx, tv.id, DEEP_PAGE, 200)
    ctx.log(
      `  walked ${Math.ceil(ids.length / PAGE_LIMIT)} pages of 电视 in ${Date.now() - started} ms`,
    )
    const hot = ids[0]
    const WARM_PRODUCTS = 500
    // Past the warm products, ids nobody reads twice: the miss rows' and their references'
    // (every other id each), then the ×8 rows', then the row against the other instance's.
    const BURST_PRODUCTS = 2000
    const OTHER_INSTANCE_PRODUCTS = 3200
    const otherFrom = ids.length - OTHER_INSTANCE_PRODUCTS
    const burstFrom = otherFrom - BURST_PRODUCTS
    const missed = distinct(ids, WARM_PRODUCTS, burstFrom, 2)
    const missedByD1 = distinct(ids, WARM_PRODUCTS + 1, burstFrom, 2)
    const burst = distinct(ids, burstFrom, otherFrom, 2)
    const burstByD1 = distinct(ids, burstFrom + 1, otherFrom, 2)
    const missedElsewhere = distinct(ids, otherFrom, ids.length, 2)
    const missedByD1Elsewhere = distinct(ids, otherFrom + 1, ids.length, 2)

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
        note: `product detail, ${WARM_PRODUCTS} products in turn`,
        request: (i) => ({ path: `/v1/products/${ids[i % WARM_PRODUCTS]}` }),
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
      // The Worker as deployed: what a TV sees once a page is warm in its isolate.
      {
        name: 'suggest keypresses warm',
        target: 'cached',
        note: `the ${KEYPRESSES.length} keypress queries above in turn, answered from the isolate cache`,
        warmup: KEYPRESSES.length,
        request: (i) => {
          const { q, t9 } = KEYPRESSES[i % KEYPRESSES.length]!
          return { path: suggestPath(q, t9) }
        },
        targets: { ...HOT_READ, maxBytes: 2048 },
      },
      {
        name: 'detail warm',
        target: 'cached',
        note: `the same ${WARM_PRODUCTS} products in turn, answered from the isolate cache`,
        warmup: WARM_PRODUCTS,
        request: (i) => ({ path: `/v1/products/${ids[i % WARM_PRODUCTS]}` }),
        targets: HOT_READ,
      },
      {
        name: `page ${DEEP_PAGE} deep warm`,
        target: 'cached',
        request: () => ({ path: deepPath }),
        targets: HOT_READ,
      },
      {
        name: 'home warm',
        target: 'cached',
        request: () => ({ path: '/v1/home' }),
      },
      // A fresh isolate: the Cache API answers (ISOLATE_CACHE=off on the `edge` instance).
      {
        name: 'detail edge hit',
        target: 'edge',
        note: 'one product again and again: served from the Workers Cache API',
        request: () => ({ path: `/v1/products/${hot}` }),
      },
      {
        name: 'suggest xiao edge hit',
        target: 'edge',
        note: 'a hot prefix from the Workers Cache API',
        request: () => ({ path: suggestPath('xiao') }),
      },
      // What the head-to-head method reports when there is no difference: the D1 path against
      // itself, both sides the same products. A miss row's difference means little inside it.
      {
        name: 'detail D1 path A/A',
        target: 'uncached',
        note: `the detail row's ${WARM_PRODUCTS} products against themselves: the method's noise`,
        request: (i) => ({ path: `/v1/products/${ids[i % WARM_PRODUCTS]}` }),
        versus: {
          name: 'itself',
          target: 'uncached',
          request: (i) => ({ path: `/v1/products/${ids[i % WARM_PRODUCTS]}` }),
        },
      },
      // The misses against the D1 path in the same isolate (the reference's requests carry
      // x-bench-caches: off): two instances are two isolates, each with its own heap, JIT state
      // and history, which is a difference of its own (the last row shows it).
      {
        name: 'detail cache miss',
        target: 'cached',
        note:
          'caches on, a different product every request (none read before): both layers miss, ' +
          'D1 answers; timed head to head with the D1 path in the same isolate on other ' +
          'products never read',
        request: (i) => ({ path: `/v1/products/${missed(i)}` }),
        versus: {
          name: 'D1 path',
          target: 'cached',
          request: (i) => ({ path: `/v1/products/${missedByD1(i)}`, headers: CACHES_OFF }),
        },
        targets: { notSlowerThan: MISS_SLACK },
      },
      {
        name: 'detail cache miss ×8',
        target: 'cached',
        note:
          'caches on, each new product asked by 8 connections at once: one D1 read, ' +
          'the other 7 share it; the D1 path (same isolate) makes 8',
        connections: [8],
        request: (i) => ({ path: `/v1/products/${burst(Math.floor(i / 8))}` }),
        versus: {
          name: 'D1 path',
          target: 'cached',
          request: (i) => ({
            path: `/v1/products/${burstByD1(Math.floor(i / 8))}`,
            headers: CACHES_OFF,
          }),
        },
        targets: { notSlowerThan: MISS_SLACK },
      },
      {
        name: 'detail cache miss, other isolate',
        target: 'cached',
        note:
          'as detail cache miss, against the D1 path on its own instance (`uncached`): the ' +
          'comparison made until 2026-12-07, two isolates',
        connections: [1],
        request: (i) => ({ path: `/v1/products/${missedElsewhere(i)}` }),
        versus: {
          name: 'D1 instance',
          target: 'uncached',
          request: (i) => ({ path: `/v1/products/${missedByD1Elsewhere(i)}` }),
        },
      },
    ]
  },
})
