import { env } from 'cloudflare:test'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { confirm, confirmBody, household, orderFromTv } from '../payments/helpers'

// API.md, "Configuration and readiness": a Worker that lacks a secret answers what needs it with
// 503 service_misconfigured, logs which secret (never a value), and /healthz says degraded.
// The test env object is the Worker's env: a secret removed here is removed for SELF too.
const vars = env as unknown as Record<string, string | undefined>
const SECRETS = ['JWT_KEYS', 'PIN_PEPPER', 'BILLER_FEED_KEY'] as const

let logged: string[] = []
beforeEach(() => {
  logged = []
  for (const m of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '))
    })
  }
})
afterEach(() => vi.restoreAllMocks())

async function without<T>(name: string, value: string | undefined, run: () => Promise<T>) {
  const kept = vars[name]
  if (value === undefined) delete vars[name]
  else vars[name] = value
  try {
    return await run()
  } finally {
    vars[name] = kept
  }
}

function expectLoggedName(name: string) {
  const line = logged.find((l) => l.includes('service_misconfigured'))
  expect(line, logged.join('\n')).toContain(name)
  for (const s of SECRETS) {
    const value = vars[s]!
    for (const l of logged) expect(l).not.toContain(value.slice(0, 24))
  }
}

describe('GET /healthz', () => {
  it('is 200 {status: ok} with D1 and every secret present', async () => {
    const res = await call('GET', '/healthz')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ status: 'ok' })
  })

  for (const name of SECRETS) {
    it(`is 503 degraded without ${name}, naming it and no value`, async () => {
      const res = await without(name, undefined, () => call('GET', '/healthz'))
      expect(res.status).toBe(503)
      expect(res.body.status).toBe('degraded')
      expect(res.body.checks[name]).toBe('missing')
      expect(res.body.checks.d1).toBe('ok')
      for (const s of SECRETS) {
        if (s !== name) expect(res.body.checks[s]).toBe('ok')
        expect(res.text).not.toContain(vars[s]!.slice(0, 24))
      }
    })
  }

  it('reports JWT_KEYS that hold no usable key as invalid (the example file has none)', async () => {
    const res = await without('JWT_KEYS', '{"keys":[]}', () => call('GET', '/healthz'))
    expect(res.status).toBe(503)
    expect(res.body.checks.JWT_KEYS).toBe('invalid')
  })

  it('checks the Alipay keys only when Alipay is switched on (ALIPAY_APP_ID set)', async () => {
    const on = await without('ALIPAY_APP_ID', '2021000000000000', () =>
      without('ALIPAY_APP_PRIVATE_KEY', undefined, () => call('GET', '/healthz')),
    )
    expect(on.status).toBe(503)
    expect(on.body.checks).toMatchObject({
      ALIPAY_APP_PRIVATE_KEY: 'missing',
      ALIPAY_PUBLIC_KEY: 'ok',
    })
    const off = await without('ALIPAY_APP_ID', undefined, () =>
      without('ALIPAY_APP_PRIVATE_KEY', undefined, () => call('GET', '/healthz')),
    )
    expect(off.body).toEqual({ status: 'ok' })
  })
})

describe('requests that need a missing secret answer 503 service_misconfigured', () => {
  it('JWT_KEYS: register (nothing written), the JWKS, a token-bearing request, the device grant', async () => {
    const { user } = await household()
    const phone = `+86139${String(Date.now()).slice(-8)}`
    await without('JWT_KEYS', undefined, async () => {
      expectProblem(
        await call('POST', '/v1/auth/register', { body: { phone, password: 'long enough pw 1' } }),
        503,
        'service_misconfigured',
      )
      expectProblem(await call('GET', '/.well-known/jwks.json'), 503, 'service_misconfigured')
      expectProblem(
        await call('GET', '/v1/me', { token: user.token }),
        503,
        'service_misconfigured',
      )
      const oauth = await call('POST', '/v1/oauth/token', {
        body: { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) },
      })
      expect(oauth.status).toBe(503)
      expect(oauth.body.error).toBe('temporarily_unavailable')
    })
    const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE phone = ?')
      .bind(phone)
      .first<{ n: number }>()
    expect(row!.n).toBe(0)
    expectLoggedName('JWT_KEYS')
  })

  it('PIN_PEPPER: confirming costs no PIN attempt and moves no money; PIN setup', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    await without('PIN_PEPPER', undefined, async () => {
      expectProblem(await confirm(user.token, payment.id), 503, 'service_misconfigured')
      expectProblem(
        await confirm(user.token, payment.id, confirmBody(), `no-pepper-${payment.id}`),
        503,
        'service_misconfigured',
      )
      expectProblem(
        await call('PUT', '/v1/me/payment-pin', {
          token: user.token,
          body: { pin: '482913', password: 'whatever it is' },
        }),
        503,
        'service_misconfigured',
      )
    })
    const row = await env.DB.prepare('SELECT pin_failed_attempts AS n FROM users WHERE id = ?')
      .bind(user.id)
      .first<{ n: number }>()
    expect(row!.n).toBe(0)
    expect((await call('GET', `/v1/payments/${payment.id}`, { token: tv.token })).body.status).toBe(
      'requires_confirmation',
    )
    expectLoggedName('PIN_PEPPER')
    expect((await confirm(user.token, payment.id)).status).toBe(200)
  })

  it('BILLER_FEED_KEY: creating a biller and the feed', async () => {
    await without('BILLER_FEED_KEY', undefined, async () => {
      expectProblem(
        await call('POST', '/v1/admin/billers', {
          headers: ADMIN,
          body: { name: 'No key', category: 'gas', account_pattern: '^\\d{8}$' },
        }),
        503,
        'service_misconfigured',
      )
    })
    expectLoggedName('BILLER_FEED_KEY')
  })
})
