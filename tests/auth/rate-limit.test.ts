import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/http/errors'
import { clientIp, purgeRateLimits, rateLimit, rateLimitAll } from '../../src/http/rate-limit'

describe('rateLimit (D1 fixed windows)', () => {
  it('allows `limit` attempts per window, then throws 429 with Retry-After until the window ends', async () => {
    const t0 = 1_800_000_000_000 // a window boundary for 60 s windows
    for (let i = 1; i <= 3; i++)
      expect((await rateLimit(env, 'test:a', 3, 60, t0 + i)).count).toBe(i)
    const err = await rateLimit(env, 'test:a', 3, 60, t0 + 15_000).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('rate_limited')
    expect(err.status).toBe(429)
    expect(err.headers['retry-after']).toBe('45')
    // The next window starts from zero.
    expect((await rateLimit(env, 'test:a', 3, 60, t0 + 60_000)).count).toBe(1)
  })

  it('keeps keys apart, and counts every rule of a call in one batch', async () => {
    const now = 1_800_000_000_000
    await rateLimit(env, 'test:b', 1, 60, now)
    await expect(rateLimit(env, 'test:b', 1, 60, now)).rejects.toThrow(ApiError)
    const states = await rateLimitAll(
      env,
      [
        { key: 'test:c', limit: 5, windowSeconds: 60 },
        { key: 'test:d', limit: 5, windowSeconds: 600 },
      ],
      now,
    )
    expect(states.map((s) => s.count)).toEqual([1, 1])
  })

  it('blocks when any one rule is over (per account or per IP)', async () => {
    const now = 1_800_000_000_000
    const rules = (account: string) => [
      { key: `test:acct:${account}`, limit: 2, windowSeconds: 60 },
      { key: 'test:ip:203.0.113.9', limit: 3, windowSeconds: 60 },
    ]
    await rateLimitAll(env, rules('x'), now)
    await rateLimitAll(env, rules('y'), now)
    await rateLimitAll(env, rules('z'), now)
    await expect(rateLimitAll(env, rules('w'), now)).rejects.toMatchObject({ code: 'rate_limited' })
  })

  it('is shared storage: concurrent attempts never all slip through', async () => {
    const now = 1_800_000_000_000
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => rateLimit(env, 'test:race', 5, 60, now)),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5)
  })

  it('purges closed windows only', async () => {
    const now = 1_800_000_000_000
    await rateLimit(env, 'test:old', 5, 60, now - 120_000)
    await rateLimit(env, 'test:live', 5, 60, now)
    expect(await purgeRateLimits(env, now)).toBeGreaterThanOrEqual(1)
    const left = await env.DB.prepare(
      "SELECT key FROM rate_limits WHERE key IN ('test:old', 'test:live')",
    ).all()
    expect(left.results.map((r) => r.key)).toEqual(['test:live'])
  })

  it('rejects nonsense rules and reads the client address', async () => {
    await expect(rateLimit(env, 'k', 0, 60)).rejects.toThrow()
    expect(clientIp(' 203.0.113.1 ')).toBe('203.0.113.1')
    expect(clientIp(undefined)).toBe('unknown')
  })
})
