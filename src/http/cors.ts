import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { AppEnv } from '../env'

/** What a TV or phone web app on another origin may send, and may read from our answers. */
const ALLOW_HEADERS = [
  'authorization',
  'content-type',
  'accept-language',
  'idempotency-key',
  'if-none-match',
  'x-d1-bookmark',
]
export const EXPOSE_HEADERS = [
  'etag',
  'retry-after',
  'ratelimit',
  'ratelimit-policy',
  'idempotency-replayed',
  'x-d1-bookmark',
  'x-request-id',
  'www-authenticate',
]

/**
 * The exact origins in CORS_ORIGINS (space or comma separated, e.g.
 * `https://tv.example.com, https://m.example.com`); anything that is not an http(s) origin,
 * `*` included, is ignored. Empty or unset: no cross-origin access at all.
 */
export function parseOrigins(value: string | undefined): string[] {
  const origins = new Set<string>()
  for (const entry of (value ?? '').split(/[\s,]+/)) {
    if (!/^https?:\/\/[^/]+$/i.test(entry)) continue
    try {
      origins.add(new URL(entry).origin)
    } catch {}
  }
  return [...origins]
}

const byConfig = new Map<string, MiddlewareHandler<AppEnv>>()

/** hono/cors for the configured origins, built once per configuration value. */
function corsFor(value: string): MiddlewareHandler<AppEnv> | null {
  let handler = byConfig.get(value)
  if (!handler) {
    const origins = parseOrigins(value)
    if (origins.length === 0) return null
    handler = cors({
      origin: (origin) => (origins.includes(origin) ? origin : null),
      allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowHeaders: ALLOW_HEADERS,
      exposeHeaders: EXPOSE_HEADERS,
      maxAge: 600,
    })
    byConfig.set(value, handler)
  }
  return handler
}

/** CORS for the TV and phone web origins named in CORS_ORIGINS; without any, it does nothing. */
export const corsFromConfig: MiddlewareHandler<AppEnv> = async function corsFromConfig(c, next) {
  const handler = c.env.CORS_ORIGINS ? corsFor(c.env.CORS_ORIGINS) : null
  if (!handler) return next()
  return handler(c, next)
}
