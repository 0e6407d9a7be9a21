import type { Context } from 'hono'
import { base64url } from 'jose'
import type { AppEnv } from '../env'
import {
  type CachedAnswer,
  isolateCacheEnabled,
  isolateCacheGet,
  isolateCachePut,
} from './isolate-cache'
import { singleFlight } from './single-flight'

/**
 * Public reads: ETag (a hash of the body) and Cache-Control on every answer, 304 on a matching
 * If-None-Match, and, for reads everyone sees alike, two cache layers keyed by a version that
 * writes bump, so a cached page is unreachable once its data changed: this isolate's memory
 * (src/http/isolate-cache.ts, no I/O), then the Workers Cache API (`caches.default`, "the edge").
 *
 * Clients get `no-cache`: they may keep the page but revalidate each time (a 304 costs no query
 * when the page is cached here). The copy kept here lives at most `ttlSeconds` from the moment it
 * was read from D1, in every layer, which bounds how long content that changes with time alone
 * (a deal starting) can lag.
 *
 * A miss must cost no more than going to D1 without any cache (docs/catalog.md, "Cold reads"):
 * - the edge lookup and the D1 read overlap when the edge has been missing here lately;
 * - concurrent misses of one page in this isolate share one read (src/http/single-flight.ts);
 * - nothing is written to the edge on the way to the response: a page goes to the edge once
 *   this isolate serves it a second time (popular pages get there, one-off reads never do), and
 *   that write runs after the response, in waitUntil.
 */

export type PublicReadOptions = {
  /** Bumped by every write to what this read shows; part of the cache key. */
  version: number
  /** false for a page that depends on the caller: never stored in the shared cache. */
  shared: boolean
  ttlSeconds?: number
}

const CACHE_ORIGIN = 'https://public-read.cache.tvpay.internal'
const DEFAULT_TTL_SECONDS = 30

/** The path and the query in a canonical order: `?b=1&a=2` and `?a=2&b=1` are one page. */
function pageKey(c: Context<AppEnv>): string {
  const url = new URL(c.req.url)
  url.searchParams.sort()
  return `${url.pathname}${url.search}`
}

async function etagOf(body: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body))
  return `"${base64url.encode(new Uint8Array(digest, 0, 12))}"`
}

/** RFC 9110 weak comparison: W/ prefixes are ignored, `*` matches any current representation. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false
  const bare = etag.replace(/^W\//, '')
  return ifNoneMatch.split(',').some((candidate) => {
    const t = candidate.trim()
    return t === '*' || t.replace(/^W\//, '') === bare
  })
}

type CacheStatus = 'HIT' | 'MISS' | 'BYPASS'
/** `flight`: a concurrent request of this isolate was already reading the page; its read served. */
type CacheLayer = 'isolate' | 'edge' | 'flight'

function answer(
  c: Context<AppEnv>,
  body: string,
  etag: string,
  shared: boolean,
  cacheStatus: CacheStatus,
  layer?: CacheLayer,
) {
  const headers = new Headers({
    etag,
    'cache-control': shared ? 'public, no-cache' : 'private, no-cache',
    'x-cache': cacheStatus,
  })
  if (layer) headers.set('x-cache-layer', layer)
  if (c.var.requestId) headers.set('x-request-id', c.var.requestId)
  if (etagMatches(c.req.header('if-none-match'), etag))
    return new Response(null, { status: 304, headers })
  headers.set('content-type', 'application/json; charset=UTF-8')
  return new Response(body, { status: 200, headers })
}

/** A page as the layers pass it around: plain values only (it may cross requests). */
type Filled = CachedAnswer & { source: 'edge' | 'd1' }

// Concurrent misses of one page: one read. A follower gives up on a leader after a second.
const fills = singleFlight<Filled>({ followForMs: 1000 })

export async function publicJson(
  c: Context<AppEnv>,
  opts: PublicReadOptions,
  produce: () => Promise<unknown>,
): Promise<Response> {
  const ttl = opts.ttlSeconds ?? DEFAULT_TTL_SECONDS
  if (!opts.shared) {
    const page = await fromD1(produce)
    return answer(c, page.body, page.etag, false, 'BYPASS')
  }
  const page = pageKey(c)
  const edgeKey = `${CACHE_ORIGIN}/v${opts.version}${page}`
  if (!isolateCacheEnabled(c.env)) {
    // No memory layer (the bench's `edge` and `uncached` instances): edge, then D1.
    const filled = await fill(edgeKey, produce, ttl)
    if (filled.source === 'edge') return answer(c, filled.body, filled.etag, true, 'HIT', 'edge')
    c.executionCtx.waitUntil(putAtEdge(edgeKey, filled, ttl))
    return answer(c, filled.body, filled.etag, true, 'MISS')
  }

  const kept = isolateCacheGet(opts.version, page)
  if (kept) {
    if (!kept.atEdge) {
      // Served twice by this isolate: worth a copy at the edge for isolates that have not got it.
      kept.atEdge = true
      c.executionCtx.waitUntil(putAtEdge(edgeKey, kept, ttl))
    }
    return answer(c, kept.body, kept.etag, true, 'HIT', 'isolate')
  }
  const { value: filled, shared } = await fills.run(edgeKey, c.executionCtx, async () => {
    const got = await fill(edgeKey, produce, ttl)
    const left = ttl - (Date.now() - got.producedAt) / 1000
    isolateCachePut(opts.version, page, { ...got, atEdge: got.source === 'edge' }, left)
    return got
  })
  if (shared) return answer(c, filled.body, filled.etag, true, 'HIT', 'flight')
  if (filled.source === 'edge') return answer(c, filled.body, filled.etag, true, 'HIT', 'edge')
  return answer(c, filled.body, filled.etag, true, 'MISS')
}

async function fromD1(produce: () => Promise<unknown>): Promise<CachedAnswer> {
  const body = JSON.stringify(await produce())
  return { body, etag: await etagOf(body), producedAt: Date.now(), atEdge: false }
}

/**
 * The edge copy if it has time left, else D1. While the edge keeps missing here, D1 is asked at
 * the same time as the edge (a miss then costs max(lookup, read), not their sum); the price is
 * a wasted read when the edge answers after all, rare by then.
 */
async function fill(
  edgeKey: string,
  produce: () => Promise<unknown>,
  ttl: number,
): Promise<Filled> {
  const lookup = fromEdge(edgeKey, ttl)
  const early = edgeHits.rate < SPECULATE_BELOW ? fromD1(produce) : null
  early?.catch(() => undefined) // awaited below unless the edge answers
  const edge = await lookup
  edgeHits.record(edge !== null)
  if (edge) return { ...edge, source: 'edge' }
  return { ...(await (early ?? fromD1(produce))), source: 'd1' }
}

const PRODUCED_AT = 'x-produced-at'

async function fromEdge(edgeKey: string, ttl: number): Promise<CachedAnswer | null> {
  const hit = await caches.default.match(edgeKey)
  const etag = hit?.headers.get('etag')
  if (!hit || !etag) return null
  const producedAt = Number(hit.headers.get(PRODUCED_AT))
  // Unstamped or expired copies count as misses: time alone never stales a page past ttl.
  if (!Number.isFinite(producedAt) || producedAt <= 0 || Date.now() - producedAt >= ttl * 1000) {
    await hit.body?.cancel()
    return null
  }
  return { body: await hit.text(), etag, producedAt, atEdge: true }
}

async function putAtEdge(edgeKey: string, page: CachedAnswer, ttl: number): Promise<void> {
  const left = Math.floor(ttl - (Date.now() - page.producedAt) / 1000)
  if (left <= 0) return
  const stored = new Response(page.body, {
    headers: {
      'content-type': 'application/json; charset=UTF-8',
      etag: page.etag,
      'cache-control': `public, max-age=${left}`,
      [PRODUCED_AT]: String(page.producedAt),
    },
  })
  await caches.default.put(edgeKey, stored)
}

/** Below this share of edge hits (moving average), misses ask D1 without waiting for the edge. */
const SPECULATE_BELOW = 0.5

/** How often the edge lookups of this isolate found the page: a moving average over ~16. */
export const edgeHits = {
  rate: 1,
  record(hit: boolean) {
    this.rate += ((hit ? 1 : 0) - this.rate) / 16
  },
  reset() {
    this.rate = 1
  },
}

/** For tests. */
export function publicReadFlights(): number {
  return fills.size()
}
