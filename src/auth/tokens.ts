import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose'
import { signingKeys } from './keys'

export const USER_AUDIENCE = 'tvpay:user'
export const DEVICE_AUDIENCE = 'tvpay:device'
export const ACCESS_TOKEN_TYPE = 'at+jwt'
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60

type TokenEnv = { JWT_KEYS: string; JWT_ISSUER: string }

export type AccessClaims =
  /** sub is the user id; sid the refresh family (session) the token was minted with. */
  | { aud: typeof USER_AUDIENCE; sub: string; sid: string }
  /** sub is the device id; uid its owner; ver must match devices.token_version. */
  | { aud: typeof DEVICE_AUDIENCE; sub: string; uid: string; ver: number; cid: string }

export async function signAccessToken(
  env: TokenEnv,
  claims: AccessClaims,
  now = Date.now(),
): Promise<string> {
  const { current } = await signingKeys(env.JWT_KEYS)
  const { aud, sub, ...rest } = claims
  return new SignJWT(rest as JWTPayload)
    .setProtectedHeader({ alg: 'ES256', kid: current.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(env.JWT_ISSUER)
    .setAudience(aud)
    .setSubject(sub)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + ACCESS_TOKEN_TTL_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(current.key)
}

/** Verifies signature (ES256 only), issuer, audience, type and expiry. Returns null when invalid. */
export async function verifyAccessToken(
  env: TokenEnv,
  token: string,
): Promise<AccessClaims | null> {
  const { verifier } = await signingKeys(env.JWT_KEYS)
  try {
    const { payload } = await jwtVerify(token, verifier, {
      algorithms: ['ES256'],
      issuer: env.JWT_ISSUER,
      audience: [USER_AUDIENCE, DEVICE_AUDIENCE],
      typ: ACCESS_TOKEN_TYPE,
      currentDate: new Date(),
      requiredClaims: ['sub', 'exp', 'iat'],
      clockTolerance: 5,
    })
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
    if (aud.length !== 1 || typeof payload.sub !== 'string') return null
    if (aud[0] === USER_AUDIENCE) {
      const { sid } = payload as { sid?: unknown }
      if (typeof sid !== 'string' || sid === '') return null
      return { aud: USER_AUDIENCE, sub: payload.sub, sid }
    }
    const { uid, ver, cid } = payload as { uid?: unknown; ver?: unknown; cid?: unknown }
    if (typeof uid !== 'string' || typeof ver !== 'number' || typeof cid !== 'string') return null
    return { aud: DEVICE_AUDIENCE, sub: payload.sub, uid, ver, cid }
  } catch (err) {
    if (err instanceof errors.JOSEError) return null
    throw err
  }
}
