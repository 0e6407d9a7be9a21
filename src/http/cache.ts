import type { Context } from 'hono'
import { base64url } from 'jose'
import type { AppEnv } from '../env'

/**
 * Public reads: ETag (a hash of the body) and Cache-Control on every answer, 304 on a matching
 * If-None-Match, and, for reads everyone sees alike, the Workers Cache API (`caches.default`)
 * keyed by a version that writes bump, so a cached page is unreachable once its data changed.
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

function cacheKey(c: Context<AppEnv>, version: number): Request {
  const url = new URL(c.req.url)
  url.searchParams.sort()
  return new Request(`${CACHE_ORIGIN}/v${version}${url.pathname}${url.search}`)
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

function answer(c: Context<AppEnv>, body: string, etag: string, shared: boolean, cacheStatus: 'HIT' | 'MISS' | 'BYPASS') {
  const headers = new Headers({
    etag,
    'cache-control': shared ? 'public, no-cache' : 'private, no-cache',
    'x-cache': cacheStatus,
  })
  if (c.var.requestId) headers.set('x-request-id', c.var.requestId)
  if (etagMatches(c.req.header('if-none-match'), etag)) return new Response(null, { status: 304, headers })
  headers.set('content-type', 'application/json; charset=UTF-8')
  return new Response(body, { status: 200, headers })
}

export async function publicJson(c: Context<AppEnv>, opts: PublicReadOptions, produce: () => Promise<unknown>): Promise<Response> {
  const ttl = opts.ttlSeconds ?? 30
  const key = opts.shared ? cacheKey(c, opts.version) : null
  if (key) {
    const hit = await caches.default.match(key)
    if (hit) {
      const etag = hit.headers.get('etag')
      if (etag) return answer(c, await hit.text(), etag, true, 'HIT')
    }
  }
  const body = JSON.stringify(await produce())
  const etag = await etagOf(body)
  if (key) {
    const stored = new Response(body, {
      headers: { 'content-type': 'application/json; charset=UTF-8', etag, 'cache-control': `public, max-age=${ttl}` },
    })
    c.executionCtx.waitUntil(caches.default.put(key, stored))
  }
  return answer(c, body, etag, opts.shared, key ? 'MISS' : 'BYPASS')
}
