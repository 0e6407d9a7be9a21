import { env } from 'cloudflare:test'
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JWK,
  decodeProtectedHeader,
} from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { signingKeys } from '../../src/auth/keys'
import {
  ACCESS_TOKEN_TYPE,
  DEVICE_AUDIENCE,
  signAccessToken,
  USER_AUDIENCE,
  verifyAccessToken,
} from '../../src/auth/tokens'
import { call, expectProblem } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'

const privateKeys = (JSON.parse(env.JWT_KEYS) as { keys: JWK[] }).keys
const keyByKid = (kid: string) => privateKeys.find((k) => k.kid === kid)!

function b64(obj: unknown) {
  return btoa(JSON.stringify(obj)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/** Signs arbitrary claims with one of the configured private keys (or any key given). Pass the
 *  test user's sessionId as sid so that only the attack under test can make a token fail. */
async function craft(opts: {
  sub: string
  sid?: unknown
  aud?: string
  iss?: string
  typ?: string
  kid?: string
  key?: CryptoKey
  iat?: number
  exp?: number
  extra?: Record<string, unknown>
}) {
  const now = Math.floor(Date.now() / 1000)
  const kid = opts.kid ?? 'test-current'
  const key =
    opts.key ?? ((await importJWK({ ...keyByKid(kid), alg: 'ES256' }, 'ES256')) as CryptoKey)
  return new SignJWT({ ...(opts.sid === undefined ? {} : { sid: opts.sid }), ...opts.extra })
    .setProtectedHeader({ alg: 'ES256', kid, typ: opts.typ ?? ACCESS_TOKEN_TYPE })
    .setIssuer(opts.iss ?? env.JWT_ISSUER)
    .setAudience(opts.aud ?? USER_AUDIENCE)
    .setSubject(opts.sub)
    .setIssuedAt(opts.iat ?? now)
    .setExpirationTime(opts.exp ?? now + 600)
    .sign(key)
}

async function me(token: string) {
  return call('GET', '/v1/me', { token })
}

describe('access tokens: what is accepted', () => {
  it('a token we issued works, carries kid, iss, aud, typ and a 15-minute exp', async () => {
    const u = await createTestUser()
    expect((await me(u.token)).status).toBe(200)
    const header = decodeProtectedHeader(u.token)
    expect(header).toMatchObject({ alg: 'ES256', kid: 'test-current', typ: 'at+jwt' })
    const payload = JSON.parse(
      atob(u.token.split('.')[1].replaceAll('-', '+').replaceAll('_', '/')),
    )
    expect(payload).toMatchObject({
      iss: env.JWT_ISSUER,
      aud: USER_AUDIENCE,
      sub: u.id,
      sid: u.sessionId,
    })
    expect(payload.exp - payload.iat).toBe(900)
    expect(payload.jti).toBeTruthy()
  })

  it('the auth scheme is case-insensitive (RFC 9110 §11.1): bearer, BEARER', async () => {
    const u = await createTestUser()
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const res = await call('GET', '/v1/me', {
        headers: { authorization: `${scheme} ${u.token}` },
      })
      expect(res.status, scheme).toBe(200)
    }
  })

  it('key rotation: the newest key signs, an older key in the set still verifies', async () => {
    const u = await createTestUser()
    const old = await craft({ sub: u.id, sid: u.sessionId, kid: 'test-old' })
    expect((await me(old)).status).toBe(200)
    const { current, publicJwks } = await signingKeys(env.JWT_KEYS)
    expect(current.kid).toBe('test-current')
    expect(publicJwks.keys.map((k) => k.kid)).toEqual(['test-old', 'test-current'])
    const jwks = await call('GET', '/.well-known/jwks.json')
    expect(jwks.body.keys.map((k: JWK) => k.kid)).toEqual(['test-old', 'test-current'])
    for (const k of jwks.body.keys) {
      expect(Object.keys(k).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'])
    }
  })

  it('refuses a JWT_KEYS set with duplicate kids or no usable key', async () => {
    const dup = JSON.stringify({
      keys: [keyByKid('test-old'), { ...keyByKid('test-current'), kid: 'test-old' }],
    })
    // 503 service_misconfigured to the caller; the reason goes to the log, with no key material.
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const misconfigured = { code: 'service_misconfigured', status: 503 }
    await expect(signingKeys(dup)).rejects.toMatchObject(misconfigured)
    await expect(
      signingKeys(JSON.stringify({ keys: [{ kty: 'oct', k: 'abc', kid: 'x' }] })),
    ).rejects.toMatchObject(misconfigured)
    const lines = errors.mock.calls.map((c) => String(c[0]))
    errors.mockRestore()
    expect(lines.some((l) => /JWT_KEYS/.test(l) && /duplicate/.test(l))).toBe(true)
    expect(lines.some((l) => /no ES256/.test(l))).toBe(true)
    expect(lines.join('\n')).not.toContain(keyByKid('test-old').d!)
  })
})

describe('access tokens: attacks that must fail with 401 invalid_token', () => {
  it('alg: none', async () => {
    const u = await createTestUser()
    const now = Math.floor(Date.now() / 1000)
    const claims = {
      iss: env.JWT_ISSUER,
      aud: USER_AUDIENCE,
      sub: u.id,
      sid: u.sessionId,
      iat: now,
      exp: now + 600,
    }
    for (const alg of ['none', 'None', 'NONE']) {
      const token = `${b64({ alg, typ: 'at+jwt', kid: 'test-current' })}.${b64(claims)}.`
      expectProblem(await me(token), 401, 'invalid_token')
      expect(await verifyAccessToken(env, token)).toBeNull()
    }
  })

  it('HS256 signed with the public key (algorithm confusion)', async () => {
    const u = await createTestUser()
    const { publicJwks } = await signingKeys(env.JWT_KEYS)
    const publicJwk = publicJwks.keys.find((k) => k.kid === 'test-current')!
    for (const secret of [JSON.stringify(publicJwk), `${publicJwk.x}${publicJwk.y}`]) {
      const now = Math.floor(Date.now() / 1000)
      const token = await new SignJWT({ sid: u.sessionId })
        .setProtectedHeader({ alg: 'HS256', kid: 'test-current', typ: 'at+jwt' })
        .setIssuer(env.JWT_ISSUER)
        .setAudience(USER_AUDIENCE)
        .setSubject(u.id)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(new TextEncoder().encode(secret))
      expectProblem(await me(token), 401, 'invalid_token')
    }
  })

  it('a tampered payload (someone else’s sub) with the original signature', async () => {
    const victim = await createTestUser()
    const attacker = await createTestUser()
    const [h, p, s] = attacker.token.split('.')
    const claims = JSON.parse(atob(p.replaceAll('-', '+').replaceAll('_', '/')))
    const forged = `${h}.${b64({ ...claims, sub: victim.id })}.${s}`
    expectProblem(await me(forged), 401, 'invalid_token')
    const stretched = `${h}.${b64({ ...claims, exp: claims.exp + 86400 })}.${s}`
    expectProblem(await me(stretched), 401, 'invalid_token')
  })

  it('an expired token (and one expired just beyond the 5 s skew allowance)', async () => {
    const u = await createTestUser()
    const now = Math.floor(Date.now() / 1000)
    const sid = u.sessionId
    expectProblem(
      await me(await craft({ sub: u.id, sid, iat: now - 3600, exp: now - 1800 })),
      401,
      'invalid_token',
    )
    expectProblem(
      await me(await craft({ sub: u.id, sid, iat: now - 900, exp: now - 10 })),
      401,
      'invalid_token',
    )
    // Just inside the skew allowance it still works, so the two above fail on expiry alone.
    const justNow = Math.floor(Date.now() / 1000)
    expect(
      (await me(await craft({ sub: u.id, sid, iat: justNow - 900, exp: justNow - 1 }))).status,
    ).toBe(200)
    // Issued through the real signer with an injected past clock.
    const stale = await signAccessToken(
      env,
      { aud: USER_AUDIENCE, sub: u.id, sid },
      Date.now() - 16 * 60 * 1000,
    )
    expectProblem(await me(stale), 401, 'invalid_token')
  })

  it('an unknown kid, and a foreign key claiming a known kid', async () => {
    const u = await createTestUser()
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const sid = u.sessionId
    expectProblem(
      await me(await craft({ sub: u.id, sid, kid: 'rogue', key: privateKey })),
      401,
      'invalid_token',
    )
    expectProblem(
      await me(await craft({ sub: u.id, sid, kid: 'test-current', key: privateKey })),
      401,
      'invalid_token',
    )
    expect((await exportJWK(privateKey)).d).toBeTruthy()
  })

  it('the wrong issuer, an unknown audience or the wrong typ (e.g. a payment receipt)', async () => {
    const u = await createTestUser()
    const sid = u.sessionId
    expectProblem(
      await me(await craft({ sub: u.id, sid, iss: 'https://evil.example' })),
      401,
      'invalid_token',
    )
    expectProblem(
      await me(await craft({ sub: u.id, sid, aud: 'tvpay:receipt' })),
      401,
      'invalid_token',
    )
    expectProblem(await me(await craft({ sub: u.id, sid, typ: 'JWT' })), 401, 'invalid_token')
    expectProblem(
      await me(await craft({ sub: u.id, sid, typ: 'receipt+jwt' })),
      401,
      'invalid_token',
    )
    expect((await me(await craft({ sub: u.id, sid }))).status).toBe(200)
  })

  it('a device-audience token that names no paired device, or lacks device claims', async () => {
    const u = await createTestUser()
    const asDevice = await craft({
      sub: u.id,
      aud: DEVICE_AUDIENCE,
      extra: { uid: u.id, ver: 1, cid: 'skyworth-tv' },
    })
    expectProblem(await me(asDevice), 401, 'invalid_token')
    const tv = await createTestDevice(u.id)
    const bare = await craft({ sub: tv.id, aud: DEVICE_AUDIENCE })
    expectProblem(await me(bare), 401, 'invalid_token')
    const wrongVersion = await craft({
      sub: tv.id,
      aud: DEVICE_AUDIENCE,
      extra: { uid: u.id, ver: 2, cid: tv.clientId },
    })
    expectProblem(await me(wrongVersion), 401, 'invalid_token')
    const other = await createTestUser()
    const wrongOwner = await craft({
      sub: tv.id,
      aud: DEVICE_AUDIENCE,
      extra: { uid: other.id, ver: 1, cid: tv.clientId },
    })
    expectProblem(await me(wrongOwner), 401, 'invalid_token')
    const right = await craft({
      sub: tv.id,
      aud: DEVICE_AUDIENCE,
      extra: { uid: u.id, ver: 1, cid: tv.clientId },
    })
    expect((await me(right)).status).toBe(200)
  })

  it('garbage and malformed Authorization headers', async () => {
    for (const authorization of [
      'Bearer',
      'Bearer abc.def.ghi',
      'Basic dXNlcjpwYXNz',
      'Bearer a b',
      'Bearer ' + 'x'.repeat(300),
    ]) {
      const res = await call('GET', '/v1/me', { headers: { authorization } })
      expect([401]).toContain(res.status)
      expect(res.headers.get('www-authenticate')).toContain('Bearer')
    }
  })
})

describe('audiences: a TV token cannot act as the person, and the reverse', () => {
  it('a device token on a user-only route is 403 user_token_required', async () => {
    const u = await createTestUser()
    const tv = await createTestDevice(u.id)
    for (const [method, path, body] of [
      ['POST', '/v1/devices/activate', { user_code: 'BCDF-GHJK', approve: true }],
      ['GET', '/v1/me/devices', undefined],
      ['DELETE', `/v1/me/devices/${tv.id}`, undefined],
      ['PUT', '/v1/me/payment-pin', { pin: '482913', password: 'whatever-pass' }],
    ] as const) {
      expectProblem(await call(method, path, { token: tv.token, body }), 403, 'user_token_required')
    }
    // And the TV is still paired afterwards.
    expect((await me(tv.token)).status).toBe(200)
  })

  it('a user access token is not a device token: it cannot pass device claims checks', async () => {
    const u = await createTestUser()
    const claims = await verifyAccessToken(env, u.token)
    expect(claims).toEqual({ aud: USER_AUDIENCE, sub: u.id, sid: u.sessionId })
    const tv = await createTestDevice(u.id)
    expect(await verifyAccessToken(env, tv.token)).toMatchObject({
      aud: DEVICE_AUDIENCE,
      sub: tv.id,
      uid: u.id,
      ver: 1,
    })
  })
})

describe('verified tokens kept in memory (per isolate, per key set)', () => {
  it('a token verified once is answered from memory only until exp + 5 s, as jose would', async () => {
    const u = await createTestUser()
    const iat = Math.floor(Date.now() / 1000)
    const token = await craft({ sub: u.id, sid: u.sessionId, iat, exp: iat + 60 })
    const claims = { aud: USER_AUDIENCE, sub: u.id, sid: u.sessionId }
    expect(await verifyAccessToken(env, token)).toEqual(claims)
    // Remembered: still good a second before the skew allowance ends...
    expect(await verifyAccessToken(env, token, (iat + 64) * 1000 + 999)).toEqual(claims)
    // ...and refused from its last second on, like a first check at that time.
    expect(await verifyAccessToken(env, token, (iat + 65) * 1000)).toBeNull()
    expect(await verifyAccessToken(env, token, (iat + 600) * 1000)).toBeNull()
  })

  it('only the exact bytes verified hit: a forged signature or payload next to it is refused', async () => {
    const u = await createTestUser()
    const other = await createTestUser()
    expect(await verifyAccessToken(env, u.token)).not.toBeNull()
    const [header, payload, signature] = u.token.split('.') as [string, string, string]
    const flipped = signature[5] === 'A' ? 'B' : 'A'
    const forgedSig = `${header}.${payload}.${signature.slice(0, 5)}${flipped}${signature.slice(6)}`
    expect(await verifyAccessToken(env, forgedSig)).toBeNull()
    const stolen = JSON.parse(atob(payload.replaceAll('-', '+').replaceAll('_', '/'))) as {
      sub: string
    }
    const forgedSub = `${header}.${b64({ ...stolen, sub: other.id })}.${signature}`
    expect(await verifyAccessToken(env, forgedSub)).toBeNull()
    expectProblem(await me(forgedSub), 401, 'invalid_token')
  })

  it('a key set without the signing key refuses a token verified under the old set', async () => {
    const u = await createTestUser()
    expect(await verifyAccessToken(env, u.token)).not.toBeNull()
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const fresh = { ...(await exportJWK(privateKey)), kid: 'rotated-only', alg: 'ES256' }
    const rotated = { ...env, JWT_KEYS: JSON.stringify({ keys: [fresh] }) }
    expect(await verifyAccessToken(rotated, u.token)).toBeNull()
    // And a different issuer is not served from the original set's memory either.
    expect(
      await verifyAccessToken({ ...env, JWT_ISSUER: 'https://other.example' }, u.token),
    ).toBeNull()
  })

  it('a remembered token still needs its live session: logout ends it at once', async () => {
    const res = await call('POST', '/v1/auth/register', {
      body: { phone: '+8613712340099', password: 'remembered token password' },
      headers: { 'cf-connecting-ip': '203.0.113.77' },
    })
    expect(res.status).toBe(201)
    const account = res.body as { access_token: string; refresh_token: string }
    expect((await me(account.access_token)).status).toBe(200)
    expect((await me(account.access_token)).status).toBe(200)
    const out = await call('POST', '/v1/auth/logout', {
      body: { refresh_token: account.refresh_token },
    })
    expect(out.status).toBe(204)
    expectProblem(await me(account.access_token), 401, 'invalid_token')
  })
})
