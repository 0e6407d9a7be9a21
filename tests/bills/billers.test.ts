import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { billRoutes } from '../../src/bills/routes'
import { decryptFeedSecret } from '../../src/bills/secrets'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { createBiller, TEST_FEED_KEY, useFeedKey } from './helpers'

beforeAll(useFeedKey)

describe('POST /v1/admin/billers', () => {
  it('registers a biller and shows its feed secret once, stored only encrypted', async () => {
    const res = await call('POST', '/v1/admin/billers', {
      headers: ADMIN,
      body: {
        name: '国网上海市电力公司',
        category: 'electricity',
        account_pattern: '^\\d{10}$',
        rules: {
          amount: 'partial',
          min_amount: { amount: 1000, currency: 'CNY' },
          payable_after_due: false,
        },
      },
    })
    expect(res.status, res.text).toBe(201)
    const { biller, feed_secret } = res.body
    expect(biller).toMatchObject({
      name: '国网上海市电力公司',
      category: 'electricity',
      account_pattern: '^\\d{10}$',
      rules: {
        amount: 'partial',
        min_amount: { amount: 1000, currency: 'CNY' },
        max_amount: null,
        payable_after_due: false,
      },
    })
    expect(biller.id).toMatch(/^blr_/)
    expect(feed_secret).toMatch(/^fsk_[A-Za-z0-9_-]{43}$/)

    const stored = await env.DB.prepare(
      'SELECT ciphertext FROM biller_feed_secrets WHERE biller_id = ?',
    )
      .bind(biller.id)
      .all<{ ciphertext: string }>()
    expect(stored.results).toHaveLength(1)
    expect(stored.results[0].ciphertext).not.toContain(feed_secret.slice(4))
    expect(await decryptFeedSecret(env, biller.id, stored.results[0].ciphertext)).toBe(feed_secret)
    // Bound to its biller: the same ciphertext under another biller id does not decrypt.
    expect(
      await decryptFeedSecret(env, 'blr_someone_else', stored.results[0].ciphertext),
    ).toBeNull()

    const list = await call('GET', '/v1/billers?category=electricity&limit=50')
    expect(list.status).toBe(200)
    const listed = list.body.items.find((b: any) => b.id === biller.id)
    expect(listed).toEqual(biller)
    expect(list.text).not.toContain('fsk_')
  })

  it('defaults to exact-amount rules payable after the due date', async () => {
    const { biller } = await createBiller()
    expect(biller.rules).toEqual({
      amount: 'exact',
      min_amount: null,
      max_amount: null,
      payable_after_due: true,
    })
  })

  it('refuses catastrophic, unanchored and over-long patterns with 400 unsafe_pattern', async () => {
    for (const pattern of [
      '^(\\d+)+$',
      '^(a|aa)*$',
      '\\d{10}',
      '^\\d{10}',
      '^a|b$',
      '^(a)\\1$',
      '^' + 'a'.repeat(120) + '$',
      '^a?a?a?a?aaaa$',
    ]) {
      const res = await call('POST', '/v1/admin/billers', {
        headers: ADMIN,
        body: { name: 'Bad', category: 'water', account_pattern: pattern },
      })
      expectProblem(res, 400, 'unsafe_pattern')
    }
    const count = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM billers WHERE name = 'Bad'",
    ).first<{ n: number }>()
    expect(count!.n).toBe(0)
  })

  it('answers a pattern that is not a regular expression with 400 validation_failed', async () => {
    const res = await call('POST', '/v1/admin/billers', {
      headers: ADMIN,
      body: { name: 'Bad', category: 'water', account_pattern: '^[0-9$' },
    })
    expect(expectProblem(res, 400, 'validation_failed').errors[0].path).toBe('account_pattern')
  })

  it('validates the body strictly: unknown category, extra fields, min above max', async () => {
    const base = { name: 'X', category: 'water', account_pattern: '^\\d{8}$' }
    expectProblem(
      await call('POST', '/v1/admin/billers', {
        headers: ADMIN,
        body: { ...base, category: 'phone' },
      }),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('POST', '/v1/admin/billers', { headers: ADMIN, body: { ...base, extra: 1 } }),
      400,
      'validation_failed',
    )
    const minMax = await call('POST', '/v1/admin/billers', {
      headers: ADMIN,
      body: {
        ...base,
        rules: {
          amount: 'any',
          min_amount: { amount: 500, currency: 'CNY' },
          max_amount: { amount: 100, currency: 'CNY' },
        },
      },
    })
    expectProblem(minMax, 400, 'validation_failed')
    const fractional = await call('POST', '/v1/admin/billers', {
      headers: ADMIN,
      body: { ...base, rules: { amount: 'any', min_amount: { amount: 1.5, currency: 'CNY' } } },
    })
    expectProblem(fractional, 400, 'validation_failed')
  })

  it('needs the admin token', async () => {
    const body = { name: 'X', category: 'water', account_pattern: '^\\d{8}$' }
    expectProblem(await call('POST', '/v1/admin/billers', { body }), 401, 'unauthorized')
    expectProblem(
      await call('POST', '/v1/admin/billers', { body, headers: { authorization: 'Bearer nope' } }),
      401,
      'unauthorized',
    )
  })

  it('is closed (503) when the feed key secret is missing, and writes nothing', async () => {
    const vars = env as { BILLER_FEED_KEY?: string }
    delete vars.BILLER_FEED_KEY
    try {
      const res = await call('POST', '/v1/admin/billers', {
        headers: ADMIN,
        body: { name: 'No key', category: 'gas', account_pattern: '^\\d{8}$' },
      })
      expectProblem(res, 503, 'service_misconfigured')
    } finally {
      vars.BILLER_FEED_KEY = TEST_FEED_KEY
    }
    const count = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM billers WHERE name = 'No key'",
    ).first<{ n: number }>()
    expect(count!.n).toBe(0)
  })
})

describe('POST /v1/admin/billers/{id}/rotate-secret', () => {
  it('issues a new secret and gives the old one 24 hours', async () => {
    const { biller, secret } = await createBiller()
    const before = Date.now()
    const res = await call('POST', `/v1/admin/billers/${biller.id}/rotate-secret`, {
      headers: ADMIN,
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.feed_secret).toMatch(/^fsk_/)
    expect(res.body.feed_secret).not.toBe(secret)
    const until = Date.parse(res.body.previous_valid_until)
    expect(until).toBeGreaterThanOrEqual(Math.floor((before + 24 * 3600_000) / 1000) * 1000)
    expect(until).toBeLessThanOrEqual(Date.now() + 24 * 3600_000)
  })

  it('404 for an unknown biller, 401 without the admin token', async () => {
    expectProblem(
      await call('POST', '/v1/admin/billers/blr_nope/rotate-secret', { headers: ADMIN }),
      404,
      'not_found',
    )
    expectProblem(
      await call('POST', '/v1/admin/billers/blr_nope/rotate-secret'),
      401,
      'unauthorized',
    )
  })
})

describe('GET /v1/billers', () => {
  it('pages with a keyset cursor and rejects a forged one', async () => {
    for (let i = 0; i < 3; i++) await createBiller({ category: 'broadband' })
    const first = await call('GET', '/v1/billers?category=broadband&limit=2')
    expect(first.status).toBe(200)
    expect(first.body.items).toHaveLength(2)
    const second = await call(
      'GET',
      `/v1/billers?category=broadband&limit=2&cursor=${first.body.next_cursor}`,
    )
    const ids = [...first.body.items, ...second.body.items].map((b: any) => b.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual([...ids].sort())
    expectProblem(await call('GET', '/v1/billers?cursor=!!'), 400, 'invalid_cursor')
  })
})

describe('OpenAPI document', () => {
  it('describes every bills route', async () => {
    // Built from the bills sub-app alone, so another capability's document cannot mask ours.
    const doc = billRoutes.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'bills', version: '1' },
    })
    const res = { body: JSON.parse(JSON.stringify(doc)) }
    for (const path of [
      '/v1/admin/billers',
      '/v1/admin/billers/{id}/rotate-secret',
      '/v1/billers',
      '/v1/biller-feed/bills',
      '/v1/biller-feed/payments',
      '/v1/me/biller-accounts',
      '/v1/me/biller-accounts/{id}',
      '/v1/me/bills',
      '/v1/bills/{id}',
      '/v1/bills/{id}/pay',
      '/v1/me/notifications',
    ]) {
      expect(res.body.paths, path).toHaveProperty([path])
    }
    expect(res.body.components.schemas).toHaveProperty('BillFeedLine')
  })
})
