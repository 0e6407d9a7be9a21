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
 * A miss must cost no more than going to D1 without any cache (docs/scale.md, "Cold catalog reads"):
 * - the edge is skipped while it keeps missing here; a sample of misses asks it after the
 *   response, to notice when it starts having pages again (see fill);
 * - concurrent misses of one page in this isolate share one read (src/http/single-flight.ts);
 * - nothing is written to the edge on the way to the response: a page goes to the edge when
 *   this isolate serves it again (popular pages get there, one-off reads never do), after the
 *   response (waitUntil), within a budget of edge writes per second.
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
  const edge = edgeCacheEnabled(c.env)
  if (!isolateCacheEnabled(c.env)) {
    if (!edge) {
      // Both layers off (the bench's `uncached` instance, the D1 path a miss is held to).
      const read = await fromD1(produce)
      return answer(c, read.body, read.etag, true, 'BYPASS')
    }
    // No memory layer (the bench's `edge` instance): edge, then D1.
    const filled = await fill(edgeKey, produce, ttl, c.executionCtx)
    if (filled.source === 'edge') return answer(c, filled.body, filled.etag, true, 'HIT', 'edge')
    c.executionCtx.waitUntil(putAtEdge(edgeKey, filled, ttl))
    return answer(c, filled.body, filled.etag, true, 'MISS')
  }

  const kept = isolateCacheGet(opts.version, page)
  if (kept) {
    if (edge && !kept.atEdge && edgeWrites.take()) {
      // Served again by this isolate: worth a copy at the edge for isolates that have not got it.
      kept.atEdge = true
      c.executionCtx.waitUntil(putAtEdge(edgeKey, kept, ttl))
    }
    return answer(c, kept.body, kept.etag, true, 'HIT', 'isolate')
  }
  const { value: filled, shared } = await fills.run(edgeKey, c.executionCtx, async () => {
    const got: Filled = edge
      ? await fill(edgeKey, produce, ttl, c.executionCtx)
      : { ...(await fromD1(produce)), source: 'd1' }
    const left = ttl - (Date.now() - got.producedAt) / 1000
    isolateCachePut(opts.version, page, { ...got, atEdge: got.source === 'edge' }, left)
    return got
  })
  if (shared) return answer(c, filled.body, filled.etag, true, 'HIT', 'flight')
  if (filled.source === 'edge') return answer(c, filled.body, filled.etag, true, 'HIT', 'edge')
  return answer(c, filled.body, filled.etag, true, 'MISS')
}

/**
 * `EDGE_CACHE = "off"` (a Worker var) keeps public reads away from the Cache API altogether: no
 * lookup, no copy. With `ISOLATE_CACHE = "off"` too, a read is the D1 path alone, with nothing a
 * cache adds; the bench times cache misses against that.
 */
export function edgeCacheEnabled(env: Env): boolean {
  return (env as { EDGE_CACHE?: string }).EDGE_CACHE !== 'off'
}

async function fromD1(produce: () => Promise<unknown>): Promise<CachedAnswer> {
  const body = JSON.stringify(await produce())
  return { body, etag: await etagOf(body), producedAt: Date.now(), atEdge: false }
}

/**
 * The edge copy if it has time left, else D1. How the edge is asked depends on how often it has
 * had what this isolate missed lately (edgeHits):
 * - usually: ask the edge first, D1 only when it misses (a hit saves the read);
 * - rarely: skip the edge (a lookup that keeps missing only adds its cost to every miss), except
 *   one miss a second (PROBE_EVERY_MS), which reads D1 all the same and asks the edge after the
 *   response (waitUntil), only to learn whether it had the page, so the rate can recover. A miss
 *   in this mode waits on D1 alone.
 */
async function fill(
  edgeKey: string,
  produce: () => Promise<unknown>,
  ttl: number,
  ctx: { waitUntil(promise: Promise<unknown>): void },
): Promise<Filled> {
  const ask = edgeHits.policy()
  if (ask === 'first') {
    const edge = await fromEdge(edgeKey, ttl)
    edgeHits.record(edge !== null)
    if (edge) return { ...edge, source: 'edge' }
  }
  const read = await fromD1(produce)
  if (ask === 'probe') {
    const probe = fromEdge(edgeKey, ttl).then((edge) => edgeHits.record(edge !== null))
    ctx.waitUntil(probe.catch(() => undefined))
  }
  return { ...read, source: 'd1' }
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

/** Below this share of edge hits (moving average), misses skip the edge but for probes. */
const ASK_EDGE_FIRST_ABOVE = 0.5
/**
 * While misses skip the edge, at most one a second also asks it (after the response). By time,
 * not by count: a lookup that misses still costs a subrequest and CPU beside the next requests,
 * and a busy isolate would make many (with one in 8 misses probing, a miss was 0.1-0.3 ms p50
 * and 3-5 ms p99 slower than the D1 path at 1 connection in the bench; docs/scale.md). One a
 * second moves the average back above one half within ~11 s of the edge having pages again.
 */
const PROBE_EVERY_MS = 1000

/** How often the edge lookups of this isolate found the page: a moving average over ~16. */
export const edgeHits = {
  rate: 1,
  probedAt: 0,
  policy(now = Date.now()): 'first' | 'probe' | 'skip' {
    if (this.rate >= ASK_EDGE_FIRST_ABOVE) return 'first'
    if (now - this.probedAt < PROBE_EVERY_MS) return 'skip'
    this.probedAt = now
    return 'probe'
  },
  record(hit: boolean) {
    this.rate += ((hit ? 1 : 0) - this.rate) / 16
  },
  reset() {
    this.rate = 1
    this.probedAt = 0
  },
}

/**
 * Edge writes happen after responses, but they still cost CPU and a subrequest each: an isolate
 * makes at most EDGE_WRITES_PER_SECOND (a token bucket). A popular page is served again and
 * again, so it finds a token soon; the budget only delays the long tail.
 */
const EDGE_WRITES_PER_SECOND = 20

export const edgeWrites = {
  tokens: EDGE_WRITES_PER_SECOND,
  at: 0,
  take(now = Date.now()): boolean {
    this.tokens = Math.min(
      EDGE_WRITES_PER_SECOND,
      this.tokens + ((now - this.at) / 1000) * EDGE_WRITES_PER_SECOND,
    )
    this.at = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  },
  reset() {
    this.tokens = EDGE_WRITES_PER_SECOND
    this.at = 0
  },
}

/** For tests. */
export function publicReadFlights(): number {
  return fills.size()
}
