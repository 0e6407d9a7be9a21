import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { loginUser } from '../../src/auth/accounts'
import { verifyPin } from '../../src/auth/pin'
import { call, expectProblem } from '../helpers/http'
import { createTestDevice } from '../helpers/principals'
import { from, pairDevice, register, uniqueIp, uniquePhone } from './helpers'

describe('POST /v1/auth/register', () => {
  it('creates the account, normalizes an 11-digit mainland number to E.164, signs in', async () => {
    const phone = uniquePhone()
    const res = await call('POST', '/v1/auth/register', {
      body: { phone, password: 'correct horse battery' },
      headers: from(uniqueIp()),
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.body.user).toEqual({ id: expect.stringMatching(/^usr_/), phone: `+86${phone}` })
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 })
    expect(res.body.access_token.split('.')).toHaveLength(3)
    expect(res.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const me = await call('GET', '/v1/me', { token: res.body.access_token })
    expect(me.body).toEqual({
      id: res.body.user.id,
      phone: `+86${phone}`,
      has_payment_pin: false,
      device: null,
    })
  })

  it('accepts E.164 with spaces, and treats the same number in either form as a duplicate (409)', async () => {
    const local = uniquePhone()
    const spaced = `+86 ${local.slice(0, 3)} ${local.slice(3, 7)} ${local.slice(7)}`
    const first = await call('POST', '/v1/auth/register', {
      body: { phone: spaced, password: 'password-one' },
      headers: from(uniqueIp()),
    })
    expect(first.status).toBe(201)
    expect(first.body.user.phone).toBe(`+86${local}`)
    const dup = await call('POST', '/v1/auth/register', {
      body: { phone: local, password: 'password-two' },
      headers: from(uniqueIp()),
    })
    expectProblem(dup, 409, 'phone_taken')
    const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE phone = ?')
      .bind(`+86${local}`)
      .first('n')
    expect(rows).toBe(1)
  })

  it('refuses bad phones, short passwords and unknown fields with 400 validation_failed', async () => {
    const ip = uniqueIp()
    for (const body of [
      { phone: '12345', password: 'long enough pw' },
      { phone: '23800138000', password: 'long enough pw' },
      { phone: '+0123456789', password: 'long enough pw' },
      { phone: uniquePhone(), password: 'short' },
      { phone: uniquePhone(), password: 'x'.repeat(129) },
      { phone: uniquePhone(), password: 'long enough pw', admin: true },
      { phone: uniquePhone() },
    ]) {
      const res = await call('POST', '/v1/auth/register', { body, headers: from(ip) })
      const problem = expectProblem(res, 400, 'validation_failed')
      expect(problem.errors.length).toBeGreaterThan(0)
    }
  })

  it('limits registrations per IP (429 with Retry-After)', async () => {
    const ip = uniqueIp()
    let last
    for (let i = 0; i < 21; i++) {
      last = await call('POST', '/v1/auth/register', { body: { phone: 'bad' }, headers: from(ip) })
    }
    // Validation runs first, so garbage does not even count; real attempts do.
    expect(last!.status).toBe(400)
    for (let i = 0; i < 20; i++) {
      await call('POST', '/v1/auth/register', {
        body: { phone: uniquePhone(), password: 'long enough pw' },
        headers: from(ip),
      })
    }
    const blocked = await call('POST', '/v1/auth/register', {
      body: { phone: uniquePhone(), password: 'long enough pw' },
      headers: from(ip),
    })
    expectProblem(blocked, 429, 'rate_limited')
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
  })
})

describe('POST /v1/auth/login', () => {
  it('signs in with the right password, in either phone form', async () => {
    const u = await register()
    const local = u.user.phone.slice(3)
    for (const phone of [local, u.user.phone]) {
      const res = await call('POST', '/v1/auth/login', {
        body: { phone, password: u.password },
        headers: from(uniqueIp()),
      })
      expect(res.status).toBe(200)
      expect(res.body.user).toEqual(u.user)
      const me = await call('GET', '/v1/me', { token: res.body.access_token })
      expect(me.body.id).toBe(u.user.id)
    }
  })

  it('answers an unknown phone exactly like a wrong password', async () => {
    const u = await register()
    for (const phone of [u.user.phone, uniquePhone()]) {
      const res = await call('POST', '/v1/auth/login', {
        body: { phone, password: 'not the password' },
        headers: from(uniqueIp()),
      })
      const { request_id: _r, ...body } = expectProblem(res, 401, 'invalid_credentials')
      expect(body).toEqual({
        type: 'https://tv.tvpay.test/docs/problems#invalid_credentials',
        title: 'Invalid credentials',
        status: 401,
        code: 'invalid_credentials',
        detail: 'Phone number or password is incorrect',
      })
    }
  })

  it('takes about as long for an unknown phone as for a wrong password (one PBKDF2 check each)', async () => {
    const u = await register()
    const timed = async (phone: string) => {
      const started = performance.now()
      await expect(loginUser(env, { phone, password: 'not the password' })).rejects.toMatchObject({
        code: 'invalid_credentials',
      })
      return performance.now() - started
    }
    await timed(u.user.phone)
    await timed(uniquePhone())
    const wrong: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 5; i++) {
      wrong.push(await timed(u.user.phone))
      unknown.push(await timed(uniquePhone()))
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
    const [a, b] = [median(wrong), median(unknown)]
    // Without the dummy hash the unknown-phone path skips PBKDF2 and is many times faster.
    expect(Math.min(a, b) / Math.max(a, b)).toBeGreaterThan(0.4)
  })

  it('limits attempts per phone number, whoever is asking (429 + Retry-After)', async () => {
    const u = await register()
    for (let i = 0; i < 10; i++) {
      const res = await call('POST', '/v1/auth/login', {
        body: { phone: u.user.phone, password: 'wrong password' },
        headers: from(uniqueIp()),
      })
      expect(res.status).toBe(401)
      // A wrong password says how many attempts are left, for this phone and this address.
      expect(res.headers.get('ratelimit-policy')).toBe(
        '"login:phone";q=10;w=900, "login:ip";q=50;w=900',
      )
      expect(res.headers.get('ratelimit')).toMatch(
        new RegExp(`^"login:phone";r=${9 - i};t=\\d+, "login:ip";r=49;t=\\d+$`),
      )
    }
    const blocked = await call('POST', '/v1/auth/login', {
      body: { phone: u.user.phone, password: u.password },
      headers: from(uniqueIp()),
    })
    expectProblem(blocked, 429, 'rate_limited')
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    // 11 attempts in a sliding 900 s window: one more fits at most 900 × (2 − 9/11) s later.
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(1064)
    expect(blocked.headers.get('ratelimit')).toMatch(/^"login:phone";r=0;t=\d+, "login:ip";r=49;/)
    expect(blocked.headers.get('ratelimit')).not.toContain(u.user.phone)
  })

  it('limits attempts per IP across many phone numbers', async () => {
    const ip = uniqueIp()
    for (let i = 0; i < 50; i++) {
      const res = await call('POST', '/v1/auth/login', {
        body: { phone: uniquePhone(), password: 'guess guess' },
        headers: from(ip),
      })
      expect(res.status).toBe(401)
    }
    const blocked = await call('POST', '/v1/auth/login', {
      body: { phone: uniquePhone(), password: 'guess guess' },
      headers: from(ip),
    })
    expectProblem(blocked, 429, 'rate_limited')
  })
})

describe('POST /v1/auth/refresh', () => {
  it('rotates: the new pair works and the old refresh token is spent', async () => {
    const u = await register()
    const res = await call('POST', '/v1/auth/refresh', { body: { refresh_token: u.refresh_token } })
    expect(res.status).toBe(200)
    expect(res.body.user).toEqual(u.user)
    expect(res.body.refresh_token).not.toBe(u.refresh_token)
    expect((await call('GET', '/v1/me', { token: res.body.access_token })).status).toBe(200)
    const again = await call('POST', '/v1/auth/refresh', {
      body: { refresh_token: res.body.refresh_token },
    })
    expect(again.status).toBe(200)
  })

  it('a reused refresh token is 401 and revokes the whole family, including the newest token', async () => {
    const u = await register()
    const first = await call('POST', '/v1/auth/refresh', {
      body: { refresh_token: u.refresh_token },
    })
    const second = await call('POST', '/v1/auth/refresh', {
      body: { refresh_token: first.body.refresh_token },
    })
    expect(second.status).toBe(200)
    // An attacker replays the original token.
    const replay = await call('POST', '/v1/auth/refresh', {
      body: { refresh_token: u.refresh_token },
    })
    expectProblem(replay, 401, 'invalid_token')
    expect(replay.body.detail).toMatch(/already used/)
    // The legitimate holder's current token is dead too.
    expectProblem(
      await call('POST', '/v1/auth/refresh', {
        body: { refresh_token: second.body.refresh_token },
      }),
      401,
      'invalid_token',
    )
    // Another login (a separate family) is unaffected.
    const other = await call('POST', '/v1/auth/login', {
      body: { phone: u.user.phone, password: u.password },
      headers: from(uniqueIp()),
    })
    expect(
      (
        await call('POST', '/v1/auth/refresh', {
          body: { refresh_token: other.body.refresh_token },
        })
      ).status,
    ).toBe(200)
  })

  it('two concurrent uses of one token: at most one succeeds', async () => {
    const u = await register()
    const results = await Promise.all(
      [0, 1, 2].map(() =>
        call('POST', '/v1/auth/refresh', { body: { refresh_token: u.refresh_token } }),
      ),
    )
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1)
    for (const r of results.filter((r) => r.status !== 200)) expectProblem(r, 401, 'invalid_token')
  })

  it('refuses unknown, expired and device refresh tokens', async () => {
    expectProblem(
      await call('POST', '/v1/auth/refresh', { body: { refresh_token: 'nope' } }),
      401,
      'invalid_token',
    )
    const u = await register()
    await env.DB.prepare('UPDATE refresh_tokens SET expires_at = ? WHERE user_id = ?')
      .bind(Date.now() - 1, u.user.id)
      .run()
    expectProblem(
      await call('POST', '/v1/auth/refresh', { body: { refresh_token: u.refresh_token } }),
      401,
      'invalid_token',
    )
    const v = await register()
    const tv = await pairDevice(v.access_token)
    expectProblem(
      await call('POST', '/v1/auth/refresh', { body: { refresh_token: tv.refresh_token } }),
      401,
      'invalid_token',
    )
    // The misdirected device token was not spent.
    const ok = await call('POST', '/v1/oauth/token', {
      body: { grant_type: 'refresh_token', refresh_token: tv.refresh_token },
    })
    expect(ok.status).toBe(200)
    expectProblem(await call('POST', '/v1/auth/refresh', { body: {} }), 400, 'validation_failed')
  })

  it('logout revokes the family', async () => {
    const u = await register()
    const out = await call('POST', '/v1/auth/logout', { body: { refresh_token: u.refresh_token } })
    expect(out.status).toBe(204)
    expectProblem(
      await call('POST', '/v1/auth/refresh', { body: { refresh_token: u.refresh_token } }),
      401,
      'invalid_token',
    )
    expect(
      (await call('POST', '/v1/auth/logout', { body: { refresh_token: 'unknown' } })).status,
    ).toBe(204)
  })
})

describe('GET /v1/me', () => {
  it('needs a token', async () => {
    const res = await call('GET', '/v1/me')
    expectProblem(res, 401, 'unauthorized')
    expect(res.headers.get('www-authenticate')).toContain('Bearer')
  })

  it('a paired TV sees the account with the phone number masked, and itself', async () => {
    const u = await register()
    const tv = await pairDevice(u.access_token, 'haier-tv', 'Bedroom TV')
    const me = await call('GET', '/v1/me', { token: tv.access_token })
    expect(me.status).toBe(200)
    const local = u.user.phone.slice(3)
    expect(me.body).toEqual({
      id: u.user.id,
      phone: `+86 ${local.slice(0, 3)}****${local.slice(7)}`,
      has_payment_pin: false,
      device: { id: tv.deviceId, name: 'Bedroom TV', client_id: 'haier-tv' },
    })
  })
})

describe('PUT /v1/me/payment-pin', () => {
  it('sets the PIN (204), stored only as a peppered slow hash', async () => {
    const u = await register()
    const res = await call('PUT', '/v1/me/payment-pin', {
      token: u.access_token,
      body: { pin: '482913', password: u.password },
    })
    expect(res.status).toBe(204)
    expect(res.text).toBe('')
    const me = await call('GET', '/v1/me', { token: u.access_token })
    expect(me.body.has_payment_pin).toBe(true)
    const row = await env.DB.prepare('SELECT pin_hash FROM users WHERE id = ?')
      .bind(u.user.id)
      .first<{ pin_hash: string }>()
    expect(row!.pin_hash).toMatch(/^pbkdf2-sha256\$100000\$/)
    expect(row!.pin_hash).not.toContain('482913')
    expect(await verifyPin(env, '482913', row!.pin_hash)).toBe(true)
    // Changing it works the same way and resets the wrong-PIN count.
    await env.DB.prepare('UPDATE users SET pin_failed_attempts = 3 WHERE id = ?')
      .bind(u.user.id)
      .run()
    expect(
      (
        await call('PUT', '/v1/me/payment-pin', {
          token: u.access_token,
          body: { pin: '730521', password: u.password },
        })
      ).status,
    ).toBe(204)
    const after = await env.DB.prepare(
      'SELECT pin_hash, pin_failed_attempts FROM users WHERE id = ?',
    )
      .bind(u.user.id)
      .first<{ pin_hash: string; pin_failed_attempts: number }>()
    expect(await verifyPin(env, '730521', after!.pin_hash)).toBe(true)
    expect(after!.pin_failed_attempts).toBe(0)
  })

  it('needs the account password (403 invalid_password) and writes nothing otherwise', async () => {
    const u = await register()
    const res = await call('PUT', '/v1/me/payment-pin', {
      token: u.access_token,
      body: { pin: '482913', password: 'wrong password' },
    })
    expectProblem(res, 403, 'invalid_password')
    expect((await call('GET', '/v1/me', { token: u.access_token })).body.has_payment_pin).toBe(
      false,
    )
  })

  it('refuses PINs that are not 6 digits or are trivial', async () => {
    const u = await register()
    for (const pin of ['12345', '1234567', 'abcdef', '111111', '123456']) {
      const res = await call('PUT', '/v1/me/payment-pin', {
        token: u.access_token,
        body: { pin, password: u.password },
      })
      expectProblem(res, 400, 'validation_failed')
    }
  })

  it('a TV token cannot set the PIN (403 user_token_required)', async () => {
    const u = await register()
    const tv = await createTestDevice(u.user.id)
    const res = await call('PUT', '/v1/me/payment-pin', {
      token: tv.token,
      body: { pin: '482913', password: u.password },
    })
    expectProblem(res, 403, 'user_token_required')
  })

  it('limits password guesses through PIN setup (429 + Retry-After)', async () => {
    const u = await register()
    for (let i = 0; i < 5; i++) {
      const res = await call('PUT', '/v1/me/payment-pin', {
        token: u.access_token,
        body: { pin: '482913', password: `guess-${i}-guess` },
        headers: from(uniqueIp()),
      })
      expectProblem(res, 403, 'invalid_password')
    }
    const blocked = await call('PUT', '/v1/me/payment-pin', {
      token: u.access_token,
      body: { pin: '482913', password: u.password },
      headers: from(uniqueIp()),
    })
    expectProblem(blocked, 429, 'rate_limited')
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await call('GET', '/v1/me', { token: u.access_token })).body.has_payment_pin).toBe(
      false,
    )
  })
})
