import { endChannelSession } from '../channel/push'
import { requireSecret } from '../http/config'
import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
import { signingKeys } from './keys'
import { DUMMY_PASSWORD_HASH, hashPassword, passwordNeedsRehash, verifyPassword } from './passwords'
import { hashPin, pinProblem } from './pin'
import {
  insertFamilyStatement,
  mintRefreshToken,
  type NewRefreshToken,
  rotateRefreshToken,
} from './refresh'
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken, USER_AUDIENCE } from './tokens'

type AuthEnv = { DB: D1Database; JWT_KEYS: string; JWT_ISSUER: string }

export type UserSession = {
  user: { id: string; phone: string }
  access_token: string
  refresh_token: string
  token_type: 'Bearer'
  expires_in: number
}

/** Creates the account and its first session in one batch; a taken phone is 409 and writes nothing. */
export async function registerUser(
  env: AuthEnv,
  input: { phone: string; password: string },
  now = Date.now(),
): Promise<UserSession> {
  await signingKeys(env.JWT_KEYS) // 503 before the account is written, not after
  const id = newId('user')
  const passwordHash = await hashPassword(input.password)
  const rt = await mintRefreshToken('user', now)
  const [inserted] = await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO users (id, phone, password_hash, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (phone) DO NOTHING`,
    ).bind(id, input.phone, passwordHash, now),
    env.DB.prepare(
      `INSERT INTO refresh_tokens (id, family_id, user_id, device_id, token_hash, created_at, expires_at)
       SELECT ?, ?, id, NULL, ?, ?, ? FROM users WHERE id = ?`,
    ).bind(rt.id, rt.id, rt.hash, now, rt.expiresAt, id),
  ])
  if (inserted.meta.changes === 0)
    throw new ApiError('phone_taken', 'An account with this phone number already exists')
  return userSession(env, { id, phone: input.phone }, rt, rt.id, now)
}

/**
 * Unknown phone and wrong password take the same path and the same time (a PBKDF2 check against
 * a dummy hash) and end in the same 401, so login cannot be used to find out who has an account.
 */
export async function loginUser(
  env: AuthEnv,
  input: { phone: string; password: string },
  now = Date.now(),
): Promise<UserSession> {
  await signingKeys(env.JWT_KEYS)
  const user = await env.DB.prepare('SELECT id, phone, password_hash FROM users WHERE phone = ?')
    .bind(input.phone)
    .first<{ id: string; phone: string; password_hash: string }>()
  const ok = await verifyPassword(input.password, user?.password_hash ?? DUMMY_PASSWORD_HASH)
  if (!user || !ok)
    throw new ApiError('invalid_credentials', 'Phone number or password is incorrect')
  const rt = await mintRefreshToken('user', now)
  const statements = [insertFamilyStatement(env, rt, { userId: user.id, deviceId: null }, now)]
  if (passwordNeedsRehash(user.password_hash)) {
    statements.push(
      env.DB.prepare('UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?').bind(
        await hashPassword(input.password),
        user.id,
        user.password_hash,
      ),
    )
  }
  await env.DB.batch(statements)
  return userSession(env, user, rt, rt.id, now)
}

export async function refreshUserSession(env: Env, refreshToken: string, now = Date.now()) {
  const rotated = await rotateRefreshToken(env, refreshToken, 'user', now)
  if (!rotated.ok && rotated.reason === 'reused') {
    await endChannelSession(env, rotated.userId, rotated.familyId)
    throw new ApiError(
      'invalid_token',
      'This refresh token was already used; every session of its family has been signed out',
    )
  }
  if (!rotated.ok) {
    throw new ApiError('invalid_token', 'The refresh token is invalid, expired or revoked')
  }
  const user = { id: rotated.userId, phone: rotated.phone }
  return userSession(env, user, rotated.next, rotated.familyId, now)
}

async function userSession(
  env: AuthEnv,
  user: { id: string; phone: string },
  rt: NewRefreshToken,
  familyId: string,
  now: number,
): Promise<UserSession> {
  // sid ties the access token to its refresh family, so logout or reuse ends it at once.
  const claims = { aud: USER_AUDIENCE, sub: user.id, sid: familyId } as const
  return {
    user: { id: user.id, phone: user.phone },
    access_token: await signAccessToken(env, claims, now),
    refresh_token: rt.token,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
  }
}

export async function getAccount(env: { DB: D1Database }, userId: string) {
  const row = await env.DB.prepare(
    'SELECT id, phone, pin_hash IS NOT NULL AS has_pin FROM users WHERE id = ?',
  )
    .bind(userId)
    .first<{ id: string; phone: string; has_pin: number }>()
  if (!row) throw new ApiError('not_found', 'This account no longer exists')
  return { id: row.id, phone: row.phone, has_payment_pin: row.has_pin === 1 }
}

/**
 * Sets or changes the payment PIN; the account password proves it is the owner. A new PIN clears
 * the wrong-PIN count but not an active lockout (checkPaymentPin in pin.ts keeps those).
 */
export async function setPaymentPin(
  env: { DB: D1Database; PIN_PEPPER: string },
  userId: string,
  input: { pin: string; password: string },
) {
  requireSecret(env, 'PIN_PEPPER')
  const problem = pinProblem(input.pin)
  if (problem)
    throw new ApiError('validation_failed', problem, {
      errors: [{ path: 'pin', message: problem }],
    })
  const user = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
    .bind(userId)
    .first<{ password_hash: string }>()
  if (!user) throw new ApiError('not_found', 'This account no longer exists')
  if (!(await verifyPassword(input.password, user.password_hash))) {
    throw new ApiError('invalid_password', 'The account password is incorrect')
  }
  await env.DB.prepare('UPDATE users SET pin_hash = ?, pin_failed_attempts = 0 WHERE id = ?')
    .bind(await hashPin(env, input.pin), userId)
    .run()
}
