import { createMiddleware } from 'hono/factory'
import type { Access } from '../http/openapi'
import { authenticateFeed, type FeedCaller } from './feed'

/**
 * Biller feed routes: verifies X-Biller-Id + X-Signature before anything parses the body. The body
 * is read as bytes first, so the HMAC covers exactly what was sent (the JSON validator later parses
 * the same cached bytes). GET requests sign the raw query string without the "?".
 */
export const requireBillerSignature = createMiddleware<{
  Bindings: Env
  Variables: { feedCaller: FeedCaller }
}>(async function requireBillerSignature(c, next) {
  const payload =
    c.req.method === 'GET'
      ? new TextEncoder().encode(rawQuery(c.req.url))
      : new Uint8Array(await c.req.arrayBuffer())
  const caller = await authenticateFeed(c.env, {
    billerId: c.req.header('x-biller-id'),
    signature: c.req.header('x-signature'),
    payload,
    now: Date.now(),
  })
  c.set('feedCaller', caller)
  await next()
})

export function rawQuery(url: string): string {
  const start = url.indexOf('?')
  return start < 0 ? '' : url.slice(start + 1)
}

/** The feed's access for route(): signed by the biller's feed secret (securitySchemes.billerSignature). */
export const billerFeedAccess = {
  security: [{ billerSignature: [] }],
  guard: requireBillerSignature,
  problems: [
    'invalid_signature',
    'signature_expired',
    'signature_replayed',
    'service_misconfigured',
  ],
} as const satisfies Access
