import type { Context } from 'hono'
import { ApiError, tryAgainIn } from './errors'

/**
 * One quota: `limit` attempts per `windowSeconds` for each subject. `policy` names the quota in
 * the RateLimit headers (never the subject: a phone number or an address stays out of them).
 */
export type RateLimitRule = {
  policy: string
  subject: string
  limit: number
  windowSeconds: number
}

export type RateLimitState = {
  policy: string
  limit: number
  windowSeconds: number
  /** Attempts in the sliding window that ends now, this one included (may be fractional). */
  used: number
  /** When one more attempt fits (now or earlier when it fits already). */
  retryAt: number
  /** When every attempt counted so far has slid out of the window. */
  resetAt: number
}

/**
 * Sliding-window counters in D1 (isolates come and go, so memory would not do). Each call counts
 * one attempt against every rule in a single batch, then throws 429 rate_limited with
 * Retry-After if any rule is over its limit. Counting happens before the work it guards, so
 * parallel attempts cannot slip past a check-then-increment gap, and refused attempts count too.
 * Both answers carry the quotas and what is left of them (`rateLimitHeaders`).
 */
export async function rateLimitAll(
  env: { DB: D1Database },
  rules: RateLimitRule[],
  now = Date.now(),
): Promise<RateLimitState[]> {
  const states = await countAttempts(env, rules, now)
  const blocked = states.filter((s) => s.used > s.limit)
  if (blocked.length > 0) {
    const retryAfter = Math.max(...blocked.map((s) => secondsUntil(s.retryAt, now)))
    throw tryAgainIn(
      retryAfter,
      'rate_limited',
      `Too many attempts; try again in ${retryAfter} seconds`,
      { retry_after: retryAfter },
      rateLimitHeaders(states, now),
    )
  }
  return states
}

/** rateLimitAll for a request: every answer carries the RateLimit headers, not only a 429. */
export async function limitRequest(c: Context, rules: RateLimitRule[]): Promise<void> {
  const now = Date.now()
  const headers = rateLimitHeaders(await rateLimitAll(c.env, rules, now), now)
  // On c.res, not c.header(): Hono copies the headers of the response under way onto the one
  // onError makes, so the 401 of a wrong password tells how many attempts are left as well.
  for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value)
}

/**
 * The quotas and what is left of each, as the IETF draft's structured fields
 * (draft-ietf-httpapi-ratelimit-headers-10): `RateLimit-Policy: "login:ip";q=50;w=900` and
 * `RateLimit: "login:ip";r=49;t=1800` (attempts left, seconds until every attempt counted so
 * far has slid out of the window).
 */
export function rateLimitHeaders(states: RateLimitState[], now: number): Record<string, string> {
  if (states.length === 0) return {}
  const name = (s: RateLimitState) => JSON.stringify(s.policy)
  const left = (s: RateLimitState) => Math.max(0, Math.floor(s.limit - s.used + 1e-9))
  return {
    'ratelimit-policy': states
      .map((s) => `${name(s)};q=${s.limit};w=${s.windowSeconds}`)
      .join(', '),
    ratelimit: states
      .map((s) => `${name(s)};r=${left(s)};t=${Math.ceil(Math.max(0, s.resetAt - now) / 1000)}`)
      .join(', '),
  }
}

function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000))
}

/**
 * Counts one attempt per rule (upsert) and returns where each quota stands; never throws for a
 * limit. A window of `windowSeconds` slides: the attempts of the previous fixed window count in
 * proportion to how much of it still overlaps (the approximation Cloudflare's own rate limiting
 * uses). Fixed windows alone would let 2 × limit attempts through in the seconds around a
 * window's edge.
 */
export async function countAttempts(
  env: { DB: D1Database },
  rules: RateLimitRule[],
  now = Date.now(),
): Promise<RateLimitState[]> {
  if (rules.length === 0) return []
  const windows = rules.map((r) => {
    if (
      !Number.isInteger(r.limit) ||
      r.limit < 1 ||
      !Number.isInteger(r.windowSeconds) ||
      r.windowSeconds < 1
    ) {
      throw new Error(`invalid rate limit rule for ${r.policy}`)
    }
    if (!/^[a-z0-9:-]+$/.test(r.policy)) throw new Error(`invalid rate limit policy ${r.policy}`)
    const size = r.windowSeconds * 1000
    const start = Math.floor(now / size) * size
    return { ...r, key: `${r.policy}:${r.subject}`, size, start }
  })
  const results = await env.DB.batch<{ count: number }>(
    windows.flatMap((w) => [
      // Kept until the end of the next window, which reads it as its previous one.
      env.DB.prepare(
        `INSERT INTO rate_limits (key, window_start, count, expires_at) VALUES (?, ?, 1, ?)
         ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1
         RETURNING count`,
      ).bind(w.key, w.start, w.start + 2 * w.size),
      env.DB.prepare('SELECT count FROM rate_limits WHERE key = ? AND window_start = ?').bind(
        w.key,
        w.start - w.size,
      ),
    ]),
  )
  return windows.map((w, i) => {
    const current = results[2 * i].results[0]?.count ?? 1
    const previous = results[2 * i + 1].results[0]?.count ?? 0
    return {
      policy: w.policy,
      limit: w.limit,
      windowSeconds: w.windowSeconds,
      ...slidingWindow(w.start, w.size, current, previous, w.limit, now),
    }
  })
}

/**
 * At time t, a window [start, start + size) with `current` attempts, after one with `previous`:
 * `used` falls linearly as the previous window slides out, then as the current one does.
 */
function slidingWindow(
  start: number,
  size: number,
  current: number,
  previous: number,
  limit: number,
  now: number,
) {
  const used = current + previous * (1 - (now - start) / size)
  let retryAt = now
  if (used + 1 > limit) {
    retryAt =
      previous > 0 && current + 1 <= limit
        ? // the previous window's share shrinks enough before this window ends
          start + size * (1 - (limit - 1 - current) / previous)
        : // only once this window's own attempts slide out
          start + size * (2 - (limit - 1) / current)
  }
  // This attempt is in the current window, so everything counted has slid out when the next ends.
  return { used, retryAt, resetAt: start + 2 * size }
}

/** Deletes counters whose window has closed; bounded per call so a cron tick stays short. */
export async function purgeRateLimits(env: { DB: D1Database }, now = Date.now(), max = 1000) {
  const res = await env.DB.prepare(
    'DELETE FROM rate_limits WHERE rowid IN (SELECT rowid FROM rate_limits WHERE expires_at <= ? LIMIT ?)',
  )
    .bind(now, max)
    .run()
  return res.meta.changes
}

/** The caller's address as Cloudflare reports it; requests without one share a single bucket. */
export function clientIp(header: string | undefined): string {
  const ip = header?.trim()
  return ip && ip.length <= 64 ? ip : 'unknown'
}
