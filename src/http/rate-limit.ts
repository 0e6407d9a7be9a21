import { ApiError } from './errors'

export type RateLimitRule = { key: string; limit: number; windowSeconds: number }

export type RateLimitState = { key: string; count: number; limit: number; resetAt: number }

/**
 * Fixed-window counters in D1 (isolates come and go, so memory would not do). Each call counts
 * one attempt against every rule in a single batch, then throws 429 rate_limited with
 * Retry-After if any rule is over its limit. Counting happens before the work it guards, so
 * parallel attempts cannot slip past a check-then-increment gap.
 */
export async function rateLimit(
  env: { DB: D1Database },
  key: string,
  limit: number,
  windowSeconds: number,
  now = Date.now(),
): Promise<RateLimitState> {
  const [state] = await rateLimitAll(env, [{ key, limit, windowSeconds }], now)
  return state
}

export async function rateLimitAll(
  env: { DB: D1Database },
  rules: RateLimitRule[],
  now = Date.now(),
): Promise<RateLimitState[]> {
  const states = await countAttempts(env, rules, now)
  const blocked = states.filter((s) => s.count > s.limit)
  if (blocked.length > 0) {
    const retryAfter = Math.max(...blocked.map((s) => Math.ceil((s.resetAt - now) / 1000)), 1)
    throw new ApiError(
      'rate_limited',
      `Too many attempts; try again in ${retryAfter} seconds`,
      { retry_after: retryAfter },
      { 'retry-after': String(retryAfter) },
    )
  }
  return states
}

/** Counts one attempt per rule (upsert) and returns the counts; never throws for a limit. */
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
      throw new Error(`invalid rate limit rule for ${r.key}`)
    }
    const size = r.windowSeconds * 1000
    const start = Math.floor(now / size) * size
    return { ...r, start, end: start + size }
  })
  const results = await env.DB.batch<{ count: number }>(
    windows.map((w) =>
      env.DB.prepare(
        `INSERT INTO rate_limits (key, window_start, count, expires_at) VALUES (?, ?, 1, ?)
         ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1
         RETURNING count`,
      ).bind(w.key, w.start, w.end),
    ),
  )
  return windows.map((w, i) => ({
    key: w.key,
    count: results[i].results[0]?.count ?? 1,
    limit: w.limit,
    resetAt: w.end,
  }))
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
