import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/http/errors'
import {
  clientIp,
  purgeRateLimits,
  type RateLimitRule,
  rateLimitAll,
  rateLimitHeaders,
} from '../../src/http/rate-limit'

const rule = (policy: string, limit: number, windowSeconds = 60): RateLimitRule => ({
  policy,
  subject: '203.0.113.9',
  limit,
  windowSeconds,
})
const attempt = (r: RateLimitRule, now: number) => rateLimitAll(env, [r], now).then(([s]) => s)

describe('rate limits (D1 sliding windows)', () => {
  it('allows `limit` attempts per window, then throws 429 with Retry-After until one more fits', async () => {
    const t0 = 1_800_000_000_000 // a window boundary for 60 s windows
    const r = rule('test:a', 3)
    for (let i = 1; i <= 3; i++) expect((await attempt(r, t0 + i)).used).toBe(i)
    const err = await attempt(r, t0 + 15_000).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ code: 'rate_limited', status: 429 })
    // 4 attempts (the refused one counts) weigh 3 - 1 = 2 once half of them slid out: at t0 + 90 s.
    expect((err as ApiError).headers['retry-after']).toBe('75')
    const later = await attempt(r, t0 + 90_000)
    expect(later.used).toBeCloseTo(3)
  })

  it('does not let 2 × limit through around the edge of a fixed window', async () => {
    const t0 = 1_800_000_000_000
    const r = rule('test:edge', 3)
    for (let i = 0; i < 3; i++) await attempt(r, t0 + 59_000 + i)
    // Half a second into the next window, the 3 attempts of the last second still weigh ~3.
    await expect(attempt(r, t0 + 60_500)).rejects.toMatchObject({ code: 'rate_limited' })
    // The previous window's share shrinks as it slides out: 3 × 1/3 + 2 (the refused one and
    // this one) = 3 at t0 + 100 s.
    expect((await attempt(r, t0 + 100_000)).used).toBeCloseTo(3)
  })

  it('keeps subjects and policies apart, and counts every rule of a call in one batch', async () => {
    const now = 1_800_000_000_000
    await attempt(rule('test:b', 1), now)
    await expect(attempt(rule('test:b', 1), now)).rejects.toThrow(ApiError)
    await attempt({ ...rule('test:b', 1), subject: '203.0.113.10' }, now)
    const states = await rateLimitAll(env, [rule('test:c', 5), rule('test:d', 5, 600)], now)
    expect(states.map((s) => s.used)).toEqual([1, 1])
  })

  it('blocks when any one rule is over (per account or per IP)', async () => {
    const now = 1_800_000_000_000
    const rules = (account: string) => [
      { policy: 'test:acct', subject: account, limit: 2, windowSeconds: 60 },
      rule('test:ip', 3),
    ]
    await rateLimitAll(env, rules('x'), now)
    await rateLimitAll(env, rules('y'), now)
    await rateLimitAll(env, rules('z'), now)
    await expect(rateLimitAll(env, rules('w'), now)).rejects.toMatchObject({ code: 'rate_limited' })
  })

  it('is shared storage: concurrent attempts never all slip through', async () => {
    const now = 1_800_000_000_000
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => attempt(rule('test:race', 5), now)),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5)
  })

  it('purges closed windows only', async () => {
    const now = 1_800_000_000_000
    await attempt(rule('test:old', 5), now - 120_000)
    await attempt(rule('test:live', 5), now)
    expect(await purgeRateLimits(env, now)).toBeGreaterThanOrEqual(1)
    const left = await env.DB.prepare(
      "SELECT key FROM rate_limits WHERE key IN ('test:old:203.0.113.9', 'test:live:203.0.113.9')",
    ).all()
    expect(left.results.map((r) => r.key)).toEqual(['test:live:203.0.113.9'])
  })

  it('rejects nonsense rules and reads the client address', async () => {
    await expect(attempt(rule('k', 0), Date.now())).rejects.toThrow()
    await expect(attempt(rule('Login IP "x"', 5), Date.now())).rejects.toThrow(/policy/)
    expect(clientIp(' 203.0.113.1 ')).toBe('203.0.113.1')
    expect(clientIp(undefined)).toBe('unknown')
  })
})

describe('RateLimit headers (draft-ietf-httpapi-ratelimit-headers)', () => {
  it('name each quota and what is left of it, never the subject', async () => {
    const t0 = 1_800_000_000_000
    const rules = [
      { policy: 'test:hdr-phone', subject: '+8613800000000', limit: 3, windowSeconds: 60 },
      rule('test:hdr-ip', 10, 900),
    ]
    const states = await rateLimitAll(env, rules, t0 + 20_000)
    // t: until this attempt has slid out of its window (the end of the next fixed window).
    expect(rateLimitHeaders(states, t0 + 20_000)).toEqual({
      'ratelimit-policy': '"test:hdr-phone";q=3;w=60, "test:hdr-ip";q=10;w=900',
      ratelimit: '"test:hdr-phone";r=2;t=100, "test:hdr-ip";r=9;t=1780',
    })
    await rateLimitAll(env, rules, t0 + 21_000)
    await rateLimitAll(env, rules, t0 + 22_000)
    const blocked = await rateLimitAll(env, rules, t0 + 30_000).catch((e: ApiError) => e)
    expect((blocked as ApiError).headers).toMatchObject({
      'retry-after': '60',
      ratelimit: '"test:hdr-phone";r=0;t=90, "test:hdr-ip";r=6;t=1770',
    })
    expect(JSON.stringify((blocked as ApiError).headers)).not.toContain('8613800000000')
    expect(rateLimitHeaders([], t0)).toEqual({})
  })
})
