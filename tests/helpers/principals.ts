import { env } from 'cloudflare:test'
import { insertFamilyStatement, mintRefreshToken } from '../../src/auth/refresh'
import { DEVICE_AUDIENCE, signAccessToken, USER_AUDIENCE } from '../../src/auth/tokens'
import { newId } from '../../src/lib/ids'

let phoneSeq = 0

/** A user row inserted directly (no password flow) with a live session (a refresh family row, as
 *  login makes) and its access token. For tests of other capabilities; the auth tests exercise
 *  the real register/login flow. sessionId is the family id the token carries as sid. */
export async function createTestUser(opts: { phone?: string } = {}) {
  const id = newId('user')
  const phone =
    opts.phone ??
    `+8613${String(Date.now() % 1e6).padStart(6, '0')}${String(++phoneSeq).padStart(3, '0')}`
  const now = Date.now()
  const rt = await mintRefreshToken('user', now)
  await env.DB.batch([
    env.DB.prepare(
      'INSERT INTO users (id, phone, password_hash, created_at) VALUES (?, ?, ?, ?)',
    ).bind(id, phone, 'pbkdf2-sha256$1$x$x', now),
    insertFamilyStatement(env, rt, { userId: id, deviceId: null }, now),
  ])
  const token = await signAccessToken(env, { aud: USER_AUDIENCE, sub: id, sid: rt.id }, now)
  return { id, phone, token, sessionId: rt.id }
}

/** A device paired to the user, with a device access token. */
export async function createTestDevice(
  userId: string,
  opts: { clientId?: string; name?: string } = {},
) {
  const id = newId('device')
  const clientId = opts.clientId ?? 'skyworth-tv'
  await env.DB.prepare(
    'INSERT INTO devices (id, user_id, client_id, name, token_version, created_at) VALUES (?, ?, ?, ?, 1, ?)',
  )
    .bind(id, userId, clientId, opts.name ?? 'Living room TV', Date.now())
    .run()
  const token = await signAccessToken(env, {
    aud: DEVICE_AUDIENCE,
    sub: id,
    uid: userId,
    ver: 1,
    cid: clientId,
  })
  return { id, token, clientId }
}
