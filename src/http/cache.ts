import type { Context } from 'hono'
import { base64url } from 'jose'
import type { AppEnv } from '../env'
import { isolateCacheEnabled, isolateCacheGet, isolateCachePut } from './isolate-cache'

/**
 * Public reads: ETag (a hash of the body) and Cache-Control on every answer, 304 on a matching
 * If-None-Match, and, for reads everyone sees alike, two cache layers keyed by a version that
 * writes bump, so a cached page is unreachable once its data changed: this isolate's memory
 * (src/http/isolate-cache.ts, no I/O), then the Workers Cache API (`caches.default`).
 *
 * Clients get `no-cache`: they may keep the page but revalidate each time (a 304 costs no query
 * when the page is cached here). The copy kept here lives at most `ttlSeconds`, which bounds how
 * long content that changes with time alone (a deal starting) can lag.
 */

export type PublicReadOptions = {
  /** Bumped by every write to what this read shows; part of the cache key. */
  version: number
  /** false for a page that depends on the caller: never stored in the shared cache. */
  shared: boolean
  ttlSeconds?: number
}

const CACHE_ORIGIN = 'https://public-read.cache.tvpay.internal'

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
type CacheLayer = 'isolate' | 'edge'

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

export async function publicJson(
  c: Context<AppEnv>,
  opts: PublicReadOptions,
  produce: () => Promise<unknown>,
): Promise<Response> {
  const ttl = opts.ttlSeconds ?? 30
  if (!opts.shared) {
    const body = JSON.stringify(await produce())
    return answer(c, body, await etagOf(body), false, 'BYPASS')
  }
  const page = pageKey(c)
  const inMemory = isolateCacheEnabled(c.env)
  if (inMemory) {
    const kept = isolateCacheGet(opts.version, page)
    if (kept) return answer(c, kept.body, kept.etag, true, 'HIT', 'isolate')
  }
  const edgeKey = new Request(`${CACHE_ORIGIN}/v${opts.version}${page}`)
  const hit = await caches.default.match(edgeKey)
  const hitEtag = hit?.headers.get('etag')
  if (hit && hitEtag) {
    const body = await hit.text()
    // Kept here no longer than the edge copy has left, so time alone never stales a page past ttl.
    const left = secondsLeft(hit, ttl)
    if (inMemory && left > 0) isolateCachePut(opts.version, page, { body, etag: hitEtag }, left)
    return answer(c, body, hitEtag, true, 'HIT', 'edge')
  }
  const body = JSON.stringify(await produce())
  const etag = await etagOf(body)
  if (inMemory) isolateCachePut(opts.version, page, { body, etag }, ttl)
  const stored = new Response(body, {
    headers: {
      'content-type': 'application/json; charset=UTF-8',
      etag,
      'cache-control': `public, max-age=${ttl}`,
      [PRODUCED_AT]: String(Date.now()),
    },
  })
  c.executionCtx.waitUntil(caches.default.put(edgeKey, stored))
  return answer(c, body, etag, true, 'MISS')
}

const PRODUCED_AT = 'x-produced-at'

/** What is left of an edge copy's ttl, from the time stamped on it when it was stored. */
function secondsLeft(res: Response, ttl: number): number {
  const producedAt = Number(res.headers.get(PRODUCED_AT))
  if (!Number.isFinite(producedAt) || producedAt <= 0) return 0
  return ttl - (Date.now() - producedAt) / 1000
}
