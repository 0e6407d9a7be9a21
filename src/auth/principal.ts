import type { Principal } from '../env'
import { ApiError } from '../http/errors'
import { userSessionIsLive } from './refresh'
import { DEVICE_AUDIENCE, verifyAccessToken } from './tokens'

/** The credential after `Bearer ` (the scheme is case-insensitive, RFC 9110 §11.1), or null. */
export function bearerCredential(header: string | undefined): string | null {
  return /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? null
}

/** What a JWT (base64url parts and dots) may be made of; anything else is refused unparsed. */
const TOKEN_CHARS = /^[A-Za-z0-9._~+/=-]+$/

/** Resolves the bearer token to a principal, or throws 401. Every request re-checks what the
 *  token stands for with one indexed read: a user token's refresh family (sid) must still be live,
 *  so logout and reuse detection end it at once; a device token must match
 *  devices.token_version, so deleting a device stops its tokens at once. */
export async function authenticate(
  env: Env,
  header: string | undefined,
): Promise<Principal | null> {
  if (!header) return null
  const token = bearerCredential(header)
  if (!token || !TOKEN_CHARS.test(token)) {
    throw new ApiError('invalid_token', 'Authorization must be "Bearer <token>"', {}, challenge())
  }
  const claims = await verifyAccessToken(env, token)
  if (!claims)
    throw new ApiError('invalid_token', 'The access token is invalid or expired', {}, challenge())
  if (claims.aud !== DEVICE_AUDIENCE) {
    if (!(await userSessionIsLive(env, claims.sub, claims.sid))) {
      throw new ApiError('invalid_token', 'This session has ended', {}, challenge())
    }
    return { kind: 'user', userId: claims.sub, sessionId: claims.sid }
  }
  const device = await env.DB.prepare(
    'SELECT user_id, token_version, revoked_at FROM devices WHERE id = ?',
  )
    .bind(claims.sub)
    .first<{ user_id: string; token_version: number; revoked_at: number | null }>()
  const current = device && device.revoked_at === null && device.token_version === claims.ver
  if (!current || device.user_id !== claims.uid) {
    throw new ApiError('invalid_token', 'This device is no longer paired', {}, challenge())
  }
  return { kind: 'device', userId: claims.uid, deviceId: claims.sub, clientId: claims.cid }
}

function challenge() {
  return { 'www-authenticate': 'Bearer error="invalid_token"' }
}
