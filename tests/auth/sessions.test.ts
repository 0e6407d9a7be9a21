import { env } from 'cloudflare:test'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { loginUser, refreshUserSession, registerUser } from '../../src/auth/accounts'
import { signingKeys } from '../../src/auth/keys'
import { authMaintenance } from '../../src/auth/maintenance'
import { userSessionIsLive } from '../../src/auth/refresh'
import { ACCESS_TOKEN_TYPE, signAccessToken, USER_AUDIENCE } from '../../src/auth/tokens'
import { call, expectProblem, type JsonResponse } from '../helpers/http'
import { createTestUser } from '../helpers/principals'
import { from, pairDevice, register, uniqueIp, uniquePhone } from './helpers'

const DAY = 24 * 3600 * 1000

function me(token: string) {
  return call('GET', '/v1/me', { token })
}

function expectEnded(res: JsonResponse) {
  const body = expectProblem(res, 401, 'invalid_token')
  expect(body.detail).toBe('This session has ended')
  expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
}

function login(phone: string, password: string) {
  return call('POST', '/v1/auth/login', { body: { phone, password }, headers: from(uniqueIp()) })
}

function refresh(refreshToken: string) {
  return call('POST', '/v1/auth/refresh', { body: { refresh_token: refreshToken } })
}

function sidOf(token: string): string {
  return JSON.parse(atob(token.split('.')[1].replaceAll('-', '+').replaceAll('_', '/'))).sid
}

/** A user token signed with the real current key, with any payload (sid missing or of any type). */
async function signUserToken(sub: string, payload: Record<string, unknown>) {
  const { current } = await signingKeys(env.JWT_KEYS)
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', kid: current.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(env.JWT_ISSUER)
    .setAudience(USER_AUDIENCE)
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(current.key)
}

describe('user access tokens carry their session (sid = refresh family)', () => {
  it('login, registration and refresh mint tokens whose sid names the family', async () => {
    const u = await register()
    const family = await env.DB.prepare('SELECT family_id FROM refresh_tokens WHERE user_id = ?')
      .bind(u.user.id)
      .first<string>('family_id')
    expect(sidOf(u.access_token)).toBe(family)
    const rotated = await refresh(u.refresh_token)
    expect(rotated.status, rotated.text).toBe(200)
    expect(sidOf(rotated.body.access_token)).toBe(family)
    const second = await login(u.user.phone, u.password)
    expect(second.status, second.text).toBe(200)
    expect(sidOf(second.body.access_token)).not.toBe(family)
    expect(typeof sidOf(second.body.access_token)).toBe('string')
  })

  it('a rotation does not end the session: the older access token keeps working', async () => {
    const u = await register()
    const rotated = await refresh(u.refresh_token)
    expect(rotated.status, rotated.text).toBe(200)
    expect((await me(u.access_token)).status).toBe(200)
    expect((await me(rotated.body.access_token)).status).toBe(200)
  })
})

describe('logout and reuse end the session’s access tokens at once', () => {
  it('logout: every access token of the session is 401, another session still works', async () => {
    const u = await register()
    const other = await login(u.user.phone, u.password)
    expect(other.status, other.text).toBe(200)
    const rotated = await refresh(u.refresh_token)
    expect(rotated.status, rotated.text).toBe(200)
    expect((await me(u.access_token)).status).toBe(200)

    const logout = { refresh_token: rotated.body.refresh_token }
    const out = await call('POST', '/v1/auth/logout', { body: logout })
    expect(out.status).toBe(204)
    expectEnded(await me(u.access_token))
    expectEnded(await me(rotated.body.access_token))
    // A user-only route is refused the same way, before any handler runs.
    expectEnded(await call('GET', '/v1/me/devices', { token: rotated.body.access_token }))

    expect((await me(other.body.access_token)).status).toBe(200)
    const devices = await call('GET', '/v1/me/devices', { token: other.body.access_token })
    expect(devices.status).toBe(200)
  })

  it('refresh-token reuse revokes the family as stolen: its access tokens are 401', async () => {
    const u = await register()
    const other = await login(u.user.phone, u.password)
    const first = await refresh(u.refresh_token)
    expect(first.status, first.text).toBe(200)
    expect((await me(first.body.access_token)).status).toBe(200)

    expectProblem(await refresh(u.refresh_token), 401, 'invalid_token') // the replay
    expectEnded(await me(u.access_token))
    expectEnded(await me(first.body.access_token))
    expect((await me(other.body.access_token)).status).toBe(200)
  })

  it('logging out the phone leaves its paired TV working (the TV has its own family)', async () => {
    const u = await register()
    const tv = await pairDevice(u.access_token)
    await call('POST', '/v1/auth/logout', { body: { refresh_token: u.refresh_token } })
    expectEnded(await me(u.access_token))
    const seen = await me(tv.access_token)
    expect(seen.status, seen.text).toBe(200)
    expect(seen.body.device.id).toBe(tv.deviceId)
  })

  it('works for the test helper’s users too (they get a real family row)', async () => {
    const u = await createTestUser()
    expect((await me(u.token)).status).toBe(200)
    await env.DB.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ?')
      .bind(Date.now(), u.sessionId)
      .run()
    expectEnded(await me(u.token))
  })
})

describe('a token whose sid names no live session of its user is 401', () => {
  it('no sid, an empty or non-string sid', async () => {
    const u = await createTestUser()
    for (const payload of [{}, { sid: '' }, { sid: 42 }, { sid: null }, { sid: [u.sessionId] }]) {
      const res = await me(await signUserToken(u.id, payload))
      const body = expectProblem(res, 401, 'invalid_token')
      expect(body.detail, JSON.stringify(payload)).toBe('The access token is invalid or expired')
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    }
    // The same signer with the right sid passes, so the refusals above are about sid alone.
    expect((await me(await signUserToken(u.id, { sid: u.sessionId }))).status).toBe(200)
  })

  it('another user’s live family, a device’s family or an unknown family', async () => {
    const victim = await createTestUser()
    const attacker = await createTestUser()
    const asUser = (sub: string, sid: string) =>
      signAccessToken(env, { aud: USER_AUDIENCE, sub, sid })
    expectEnded(await me(await asUser(attacker.id, victim.sessionId)))
    // And the victim's session itself is fine.
    expect((await me(victim.token)).status).toBe(200)

    const owner = await register()
    const tv = await pairDevice(owner.access_token)
    const tvFam = await env.DB.prepare('SELECT family_id FROM refresh_tokens WHERE device_id = ?')
      .bind(tv.deviceId)
      .first<string>('family_id')
    expect(tvFam).toBeTruthy()
    expectEnded(await me(await asUser(owner.user.id, tvFam!)))
    expect((await me(owner.access_token)).status).toBe(200)

    expectEnded(await me(await asUser(attacker.id, 'rtk_unknown')))
  })

  it('a family with any revoked row is ended, even with a live row left', async () => {
    // Defence in depth: revocation marks the whole family, but a partial one must fail closed.
    const u = await register()
    const rotated = await refresh(u.refresh_token)
    expect(rotated.status, rotated.text).toBe(200)
    // Revoke only the spent first row; the newest row of the family stays unrevoked.
    await env.DB.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE id = ?')
      .bind(Date.now(), sidOf(u.access_token))
      .run()
    const live = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NULL',
    )
      .bind(sidOf(u.access_token))
      .first<number>('n')
    expect(live).toBe(1)
    expectEnded(await me(rotated.body.access_token))
  })
})

describe('the cron purge and session liveness', () => {
  const password = 'correct horse battery'

  it('purging the expired first row does not end a live, rotated session', async () => {
    const now = Date.now()
    // Signed up 31 days ago (the first refresh token expired over a day ago), refreshed on day
    // 29 (that row is spent but unexpired), and again just now.
    const start = now - 31 * DAY - 3600 * 1000
    const signedUp = await registerUser(env, { phone: `+86${uniquePhone()}`, password }, start)
    const day29 = await refreshUserSession(env, signedUp.refresh_token, start + 29 * DAY)
    const current = await refreshUserSession(env, day29.refresh_token, now - 60 * 1000)
    const family = sidOf(current.access_token)
    expect(family).toBe(sidOf(signedUp.access_token))

    const purged = await authMaintenance(env, now)
    expect(purged.refresh_tokens_deleted).toBeGreaterThanOrEqual(1)
    const rows = await env.DB.prepare('SELECT id FROM refresh_tokens WHERE family_id = ?')
      .bind(family)
      .all<{ id: string }>()
    // The row whose id names the family is gone; the two later rows remain.
    expect(rows.results.map((r) => r.id)).not.toContain(family)
    expect(rows.results).toHaveLength(2)

    expect((await me(current.access_token)).status).toBe(200)
    expect(await userSessionIsLive(env, signedUp.user.id, family)).toBe(true)
  })

  it('a family whose rows all expired and were purged is ended', async () => {
    const session = await loginAfterRegister()
    expect((await me(session.access_token)).status).toBe(200)
    const family = sidOf(session.access_token)
    await env.DB.prepare('UPDATE refresh_tokens SET expires_at = ? WHERE family_id = ?')
      .bind(Date.now() - 2 * DAY, family)
      .run()
    await authMaintenance(env, Date.now())
    const left = await env.DB.prepare('SELECT id FROM refresh_tokens WHERE family_id = ?')
      .bind(family)
      .all()
    expect(left.results).toEqual([])
    expectEnded(await me(session.access_token))
  })

  async function loginAfterRegister() {
    const phone = `+86${uniquePhone()}`
    await registerUser(env, { phone, password })
    return loginUser(env, { phone, password })
  }
})
