import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
  DEVICE_CODE_TTL_SECONDS,
  deviceCodeTtlSeconds,
  formatUserCode,
  generateUserCode,
  normalizeUserCode,
  USER_CODE_ALPHABET,
} from '../../src/auth/pairing'
import { sha256Hex } from '../../src/auth/secrets'
import { call, expectProblem } from '../helpers/http'
import { createTestDevice } from '../helpers/principals'
import {
  activate,
  DEVICE_GRANT,
  expectOAuthError,
  from,
  pairDevice,
  poll,
  postForm,
  register,
  startPairing,
  uniqueIp,
} from './helpers'

async function expireCode(userCode: string) {
  await env.DB.prepare('UPDATE device_authorizations SET expires_at = ? WHERE user_code = ?')
    .bind(Date.now() - 1, userCode.replace('-', ''))
    .run()
}

/** Lets the next poll count as on time (we cannot wait 5 s per poll in a test). */
async function rewindLastPoll(deviceCode: string) {
  await env.DB.prepare(
    'UPDATE device_authorizations SET last_polled_at = last_polled_at - 60000 WHERE device_code_hash = ?',
  )
    .bind(await sha256Hex(deviceCode))
    .run()
}

describe('user codes', () => {
  it('are 8 consonants from the 20-letter alphabet, shown XXXX-XXXX, uniformly drawn', () => {
    expect(USER_CODE_ALPHABET).toBe('BCDFGHJKLMNPQRSTVWXZ')
    const counts = new Map<string, number>()
    for (let i = 0; i < 2000; i++) {
      const code = generateUserCode()
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/)
      for (const ch of code) counts.set(ch, (counts.get(ch) ?? 0) + 1)
    }
    expect(counts.size).toBe(20)
    // 16,000 draws, 800 expected per letter; a modulo-biased or broken generator lands far outside.
    for (const n of counts.values()) expect(n).toBeGreaterThan(600)
    expect(formatUserCode('BCDFGHJK')).toBe('BCDF-GHJK')
  })

  it('are read case-insensitively with the dash optional; anything else is not a code', () => {
    for (const input of ['BCDF-GHJK', 'bcdf-ghjk', 'bcdfghjk', ' BcDf GhJk '])
      expect(normalizeUserCode(input)).toBe('BCDFGHJK')
    for (const input of ['BCDF-GHJA', 'BCDF-GHJ', 'BCDF-GHJKL', '1234-5678', ''])
      expect(normalizeUserCode(input)).toBeNull()
  })
})

describe('pairing code lifetime', () => {
  it('is 10 minutes unless DEVICE_CODE_TTL_SECONDS says otherwise (a whole positive number)', () => {
    expect(DEVICE_CODE_TTL_SECONDS).toBe(600)
    expect(deviceCodeTtlSeconds({})).toBe(600)
    expect(deviceCodeTtlSeconds({ DEVICE_CODE_TTL_SECONDS: '60' })).toBe(60)
    for (const bad of ['', '0', '-5', '1.5', 'ten'])
      expect(deviceCodeTtlSeconds({ DEVICE_CODE_TTL_SECONDS: bad })).toBe(600)
  })
})

describe('POST /v1/oauth/device_authorization', () => {
  it('starts a pairing (form-encoded): codes, QR URI, 10 minutes, 5 s interval; stores only a hash', async () => {
    const started = await startPairing('skyworth-tv', 'Living room')
    expect(started.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    expect(started.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/) // 256 bits
    expect(started.verification_uri).toBe(`${env.PUBLIC_BASE_URL}/activate`)
    expect(started.verification_uri_complete).toBe(
      `${env.PUBLIC_BASE_URL}/activate?user_code=${started.user_code}`,
    )
    expect(started.expires_in).toBe(600)
    expect(started.interval).toBe(5)
    const row = await env.DB.prepare('SELECT * FROM device_authorizations WHERE user_code = ?')
      .bind(started.user_code.replace('-', ''))
      .first<Record<string, unknown>>()
    expect(row!.device_code_hash).toBe(await sha256Hex(started.device_code))
    expect(JSON.stringify(row)).not.toContain(started.device_code)
    expect(row).toMatchObject({
      status: 'pending',
      client_id: 'skyworth-tv',
      device_name: 'Living room',
    })
  })

  it('takes JSON too, names the device after the client by default, ignores unknown parameters', async () => {
    const res = await call('POST', '/v1/oauth/device_authorization', {
      body: { client_id: 'wasu-rainbow', scope: 'shop' },
      headers: from(uniqueIp()),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const row = await env.DB.prepare(
      'SELECT device_name FROM device_authorizations WHERE user_code = ?',
    )
      .bind(res.body.user_code.replace('-', ''))
      .first('device_name')
    expect(row).toBe('Wasu Rainbow box')
  })

  it('every seeded client can start; an unknown client is 400 invalid_client', async () => {
    for (const client of ['skyworth-tv', 'haier-tv', 'changhong-tv', 'wasu-rainbow'])
      await startPairing(client)
    expectOAuthError(
      await postForm('/v1/oauth/device_authorization', { client_id: 'evil-tv' }),
      400,
      'invalid_client',
    )
  })

  it('missing client_id, malformed JSON and other media types are 400 invalid_request (OAuth shape)', async () => {
    expectOAuthError(await postForm('/v1/oauth/device_authorization', {}), 400, 'invalid_request')
    expectOAuthError(
      await postForm('/v1/oauth/device_authorization', { client_id: '' }),
      400,
      'invalid_request',
    )
    expectOAuthError(
      await call('POST', '/v1/oauth/device_authorization', {
        rawBody: '{"client_id":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'invalid_request',
    )
    expectOAuthError(
      await call('POST', '/v1/oauth/device_authorization', {
        rawBody: 'client_id=haier-tv',
        headers: { 'content-type': 'text/plain' },
      }),
      400,
      'invalid_request',
    )
    expectOAuthError(
      await call('POST', '/v1/oauth/device_authorization', {
        body: { client_id: 'haier-tv', device_name: 'x'.repeat(65) },
      }),
      400,
      'invalid_request',
    )
  })

  it('limits how many pairings one address can start (429 + Retry-After)', async () => {
    const ip = uniqueIp()
    for (let i = 0; i < 30; i++) {
      expect(
        (await postForm('/v1/oauth/device_authorization', { client_id: 'haier-tv' }, from(ip)))
          .status,
      ).toBe(200)
    }
    const res = await postForm(
      '/v1/oauth/device_authorization',
      { client_id: 'haier-tv' },
      from(ip),
    )
    expectOAuthError(res, 429, 'rate_limited')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
  })
})

describe('pairing start to finish', () => {
  it('TV starts, phone approves, TV polls: device tokens that browse as the user', async () => {
    const u = await register()
    const started = await startPairing('changhong-tv', 'Kitchen TV')
    expectOAuthError(await poll(started.device_code, 'changhong-tv'), 400, 'authorization_pending')

    const approved = await activate(
      u.access_token,
      started.user_code.toLowerCase().replace('-', ''),
    )
    expect(approved.status).toBe(200)
    expect(approved.body).toEqual({
      status: 'approved',
      device: { id: expect.stringMatching(/^dev_/), name: 'Kitchen TV', client_id: 'changhong-tv' },
    })

    const tokens = await call('POST', '/v1/oauth/token', {
      body: {
        grant_type: DEVICE_GRANT,
        device_code: started.device_code,
        client_id: 'changhong-tv',
      },
    })
    expect(tokens.status).toBe(200)
    expect(tokens.headers.get('cache-control')).toBe('no-store')
    expect(tokens.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    })
    const me = await call('GET', '/v1/me', { token: tokens.body.access_token })
    expect(me.body.id).toBe(u.user.id)
    expect(me.body.device.id).toBe(approved.body.device.id)
    const list = await call('GET', '/v1/me/devices', { token: u.access_token })
    expect(list.body.items.map((d: { id: string }) => d.id)).toContain(approved.body.device.id)
  })

  it('a device code works once: a second exchange is invalid_grant', async () => {
    const u = await register()
    const started = await startPairing()
    await activate(u.access_token, started.user_code)
    expect((await poll(started.device_code)).status).toBe(200)
    expectOAuthError(await poll(started.device_code), 400, 'invalid_grant')
  })

  it('concurrent exchanges of one approved code issue tokens once', async () => {
    const u = await register()
    const started = await startPairing()
    await activate(u.access_token, started.user_code)
    const results = await Promise.all([0, 1, 2].map(() => poll(started.device_code)))
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    const families = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM refresh_tokens WHERE device_id = (SELECT device_id FROM device_authorizations WHERE device_code_hash = ?)',
    )
      .bind(await sha256Hex(started.device_code))
      .first('n')
    expect(families).toBe(1)
  })

  it('a user code is single use: approving it again is 404', async () => {
    const u = await register()
    const started = await startPairing()
    expect((await activate(u.access_token, started.user_code)).status).toBe(200)
    expectProblem(await activate(u.access_token, started.user_code), 404, 'not_found')
    const other = await register()
    expectProblem(await activate(other.access_token, started.user_code, false), 404, 'not_found')
  })

  it('deny then poll: access_denied once, then invalid_grant; no device is created', async () => {
    const u = await register()
    const started = await startPairing()
    const denied = await activate(u.access_token, started.user_code, false)
    expect(denied.status).toBe(200)
    expect(denied.body).toEqual({ status: 'denied', device: null })
    expectOAuthError(await poll(started.device_code), 400, 'access_denied')
    expectOAuthError(await poll(started.device_code), 400, 'invalid_grant')
    const list = await call('GET', '/v1/me/devices', { token: u.access_token })
    expect(list.body.items).toEqual([])
  })

  it('codes expire: activation is 404, the poll says expired_token once, then invalid_grant', async () => {
    const u = await register()
    const started = await startPairing()
    await expireCode(started.user_code)
    expectProblem(await activate(u.access_token, started.user_code), 404, 'not_found')
    expectOAuthError(await poll(started.device_code), 400, 'expired_token')
    expectOAuthError(await poll(started.device_code), 400, 'invalid_grant')
  })

  it('an approved code the TV never collected expires too, and unpairs the device it made', async () => {
    const u = await register()
    const started = await startPairing()
    const approved = await activate(u.access_token, started.user_code)
    await expireCode(started.user_code)
    expectOAuthError(await poll(started.device_code), 400, 'expired_token')
    const device = await env.DB.prepare('SELECT revoked_at FROM devices WHERE id = ?')
      .bind(approved.body.device.id)
      .first('revoked_at')
    expect(device).not.toBeNull()
  })

  it('polling too fast is slow_down, and each slow_down adds 5 s to the interval', async () => {
    const started = await startPairing()
    expectOAuthError(await poll(started.device_code), 400, 'authorization_pending')
    const first = expectOAuthError(await poll(started.device_code), 400, 'slow_down')
    expect(first.interval).toBe(10)
    const second = expectOAuthError(await poll(started.device_code), 400, 'slow_down')
    expect(second.interval).toBe(15)
    const stored = await env.DB.prepare(
      'SELECT interval_seconds FROM device_authorizations WHERE device_code_hash = ?',
    )
      .bind(await sha256Hex(started.device_code))
      .first('interval_seconds')
    expect(stored).toBe(15)
    await rewindLastPoll(started.device_code)
    expectOAuthError(await poll(started.device_code), 400, 'authorization_pending')
  })

  it('the device code is bound to its client, and unknown codes are invalid_grant', async () => {
    const started = await startPairing('skyworth-tv')
    expectOAuthError(await poll(started.device_code, 'haier-tv'), 400, 'invalid_grant')
    expectOAuthError(await poll('not-a-code'), 400, 'invalid_grant')
    expectOAuthError(await poll(started.device_code, 'evil-tv'), 400, 'invalid_client')
  })

  it('token requests missing parameters or with another grant type are refused in OAuth shape', async () => {
    expectOAuthError(await postForm('/v1/oauth/token', {}), 400, 'invalid_request')
    expectOAuthError(
      await postForm('/v1/oauth/token', { grant_type: DEVICE_GRANT, client_id: 'haier-tv' }),
      400,
      'invalid_request',
    )
    expectOAuthError(
      await postForm('/v1/oauth/token', { grant_type: DEVICE_GRANT, device_code: 'x' }),
      400,
      'invalid_request',
    )
    expectOAuthError(
      await postForm('/v1/oauth/token', { grant_type: 'refresh_token' }),
      400,
      'invalid_request',
    )
    expectOAuthError(
      await postForm('/v1/oauth/token', { grant_type: 'password', username: 'a', password: 'b' }),
      400,
      'unsupported_grant_type',
    )
    expectOAuthError(
      await postForm('/v1/oauth/token', { grant_type: 'client_credentials' }),
      400,
      'unsupported_grant_type',
    )
  })
})

describe('POST /v1/devices/activate', () => {
  it('needs a user: no token is 401, a TV token is 403 user_token_required', async () => {
    const started = await startPairing()
    expectProblem(
      await call('POST', '/v1/devices/activate', {
        body: { user_code: started.user_code, approve: true },
      }),
      401,
      'unauthorized',
    )
    const u = await register()
    const tv = await createTestDevice(u.user.id)
    expectProblem(await activate(tv.token, started.user_code), 403, 'user_token_required')
    // The code is still pending: a TV cannot approve pairings (or itself).
    expectOAuthError(await poll(started.device_code), 400, 'authorization_pending')
  })

  it('refuses malformed codes and bodies with 400', async () => {
    const u = await register()
    expectProblem(await activate(u.access_token, 'AEIO-UAEI'), 400, 'validation_failed')
    expectProblem(await activate(u.access_token, 'BCDF'), 400, 'validation_failed')
    const res = await call('POST', '/v1/devices/activate', {
      token: u.access_token,
      body: { user_code: 'BCDF-GHJK', approve: 'yes' },
    })
    expectProblem(res, 400, 'validation_failed')
  })

  it('brute-forcing user codes: 429 with Retry-After after 10 tries per account', async () => {
    const u = await register()
    for (let i = 0; i < 10; i++) {
      expectProblem(
        await activate(u.access_token, generateUserCode(), true, uniqueIp()),
        404,
        'not_found',
      )
    }
    const started = await startPairing()
    const blocked = await activate(u.access_token, started.user_code, true, uniqueIp())
    expectProblem(blocked, 429, 'rate_limited')
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    // 11 attempts (the refused one counts) in a sliding 600 s window: one more fits once 9 of
    // them weigh, at most 600 × (2 − 9/11) s later.
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(710)
    // Even the right code is refused while blocked, so guessing cannot continue.
    expectOAuthError(await poll(started.device_code), 400, 'authorization_pending')
  })

  it('brute-forcing user codes from one address across accounts: 429 after 30 tries', async () => {
    const ip = uniqueIp()
    const accounts = await Promise.all([register(), register(), register(), register()])
    let tries = 0
    for (const a of accounts) {
      for (let i = 0; i < 8 && tries < 30; i++, tries++) {
        expectProblem(
          await activate(a.access_token, generateUserCode(), true, ip),
          404,
          'not_found',
        )
      }
    }
    const fresh = await register()
    expectProblem(
      await activate(fresh.access_token, generateUserCode(), true, ip),
      429,
      'rate_limited',
    )
  })
})

describe('refresh_token grant for devices', () => {
  it('rotates the device refresh token; the new access token works', async () => {
    const u = await register()
    const tv = await pairDevice(u.access_token)
    const res = await postForm('/v1/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: tv.refresh_token,
      client_id: 'skyworth-tv',
    })
    expect(res.status).toBe(200)
    expect(res.body.refresh_token).not.toBe(tv.refresh_token)
    expect((await call('GET', '/v1/me', { token: res.body.access_token })).body.device.id).toBe(
      tv.deviceId,
    )
    const seen = await env.DB.prepare('SELECT last_seen_at FROM devices WHERE id = ?')
      .bind(tv.deviceId)
      .first('last_seen_at')
    expect(seen).toBeGreaterThan(Date.now() - 60_000)
  })

  it('a reused device refresh token revokes its family', async () => {
    const u = await register()
    const tv = await pairDevice(u.access_token)
    const next = await postForm('/v1/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: tv.refresh_token,
    })
    expect(next.status).toBe(200)
    const replay = expectOAuthError(
      await postForm('/v1/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tv.refresh_token,
      }),
      400,
      'invalid_grant',
    )
    expect(replay.error_description).toMatch(/reuse/)
    expectOAuthError(
      await postForm('/v1/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: next.body.refresh_token,
      }),
      400,
      'invalid_grant',
    )
  })

  it('reuse ends the device at once, as unpairing does: its access tokens fail, it is no longer listed', async () => {
    const u = await register()
    const tv = await pairDevice(u.access_token)
    const next = await postForm('/v1/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: tv.refresh_token,
    })
    expect(next.status).toBe(200)
    expect((await call('GET', '/v1/me', { token: next.body.access_token })).status).toBe(200)
    expectOAuthError(
      await postForm('/v1/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tv.refresh_token,
      }),
      400,
      'invalid_grant',
    )
    for (const token of [tv.access_token, next.body.access_token]) {
      const res = await call('GET', '/v1/me', { token })
      expect(res.status, res.text).toBe(401)
    }
    const listed = await call('GET', '/v1/me/devices', { token: u.access_token })
    expect(listed.body.items.map((d: { id: string }) => d.id)).not.toContain(tv.deviceId)
    const live = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM refresh_tokens WHERE device_id = ? AND revoked_at IS NULL',
    )
      .bind(tv.deviceId)
      .first('n')
    expect(live).toBe(0)
    // The phone's own session is untouched.
    expect((await call('GET', '/v1/me', { token: u.access_token })).status).toBe(200)
  })

  it('a user (phone) refresh token is not accepted for the device grant, and is not spent by trying', async () => {
    const u = await register()
    expectOAuthError(
      await postForm('/v1/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: u.refresh_token,
      }),
      400,
      'invalid_grant',
    )
    expect(
      (await call('POST', '/v1/auth/refresh', { body: { refresh_token: u.refresh_token } })).status,
    ).toBe(200)
  })

  it("a disabled client can no longer refresh its devices' tokens (and the token is not spent)", async () => {
    await env.DB.prepare(
      "INSERT INTO oauth_clients (id, name, enabled, created_at) VALUES ('review-tv', 'Review TV', 1, ?)",
    )
      .bind(Date.now())
      .run()
    const u = await register()
    const tv = await pairDevice(u.access_token, 'review-tv')
    await env.DB.prepare("UPDATE oauth_clients SET enabled = 0 WHERE id = 'review-tv'").run()
    const refused = { grant_type: 'refresh_token', refresh_token: tv.refresh_token }
    expect(
      expectOAuthError(await postForm('/v1/oauth/token', refused), 400, 'invalid_grant')
        .error_description,
    ).toMatch(/disabled/)
    expectOAuthError(
      await postForm('/v1/oauth/token', { ...refused, client_id: 'review-tv' }),
      400,
      'invalid_grant',
    )
    await env.DB.prepare("UPDATE oauth_clients SET enabled = 1 WHERE id = 'review-tv'").run()
    expect((await postForm('/v1/oauth/token', refused)).status).toBe(200)
  })

  it('a refresh token presented with another client_id is invalid_grant', async () => {
    const u = await register()
    const tv = await pairDevice(u.access_token, 'haier-tv')
    expectOAuthError(
      await postForm('/v1/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tv.refresh_token,
        client_id: 'skyworth-tv',
      }),
      400,
      'invalid_grant',
    )
  })
})
