import { Hono } from 'hono'
import type { AppEnv } from '../env'

/** As web/_headers gives the other pages: own scripts, own API, nothing inline. */
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

/**
 * The people-facing pages are static assets (built from web/ into dist/web, served before the
 * Worker runs). Only a page whose path carries an id needs the Worker: `/pay/{payment_id}` answers
 * with the one pay page, which reads the id from its own location.
 */
export const pageRoutes = new Hono<AppEnv>().get('/pay/:paymentId', async (c) => {
  const page = await c.env.ASSETS.fetch(new URL('/pay', c.req.url))
  const res = new Response(page.body, page)
  // The URL holds the confirmation code: never send it on to another site, never cache it.
  res.headers.set('referrer-policy', 'no-referrer')
  res.headers.set('cache-control', 'no-store')
  res.headers.set('content-security-policy', PAGE_CSP)
  res.headers.set('x-frame-options', 'DENY')
  return res
})
