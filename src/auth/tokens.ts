import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose'
import { LRUCache } from 'lru-cache'
import { type SigningKeys, signingKeys } from './keys'

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

/** Seconds of clock skew accepted on exp. */
const CLOCK_TOLERANCE = 5
/** ~1.2 KB each (the token as UTF-16, the claims): about 2.4 MB of an isolate's 128 MB. */
const VERIFIED_MAX_ENTRIES = 2_000

type Verified = { claims: AccessClaims; issuer: string; acceptedUntil: number }

/**
 * Tokens this isolate has verified, until they expire. A TV or phone sends the same token with
 * every request for 15 minutes, and the ES256 check is the largest CPU cost of a small request
 * (docs/scale.md, "Where a join's time goes"). Keyed by the whole token, so only the exact bytes
 * verified before are answered from memory; one cache per key set, so a rotation starts empty.
 * What the token stands for (session, device) is still checked on every request by the caller.
 */
const verifiedByKeys = new WeakMap<SigningKeys, LRUCache<string, Verified>>()

function verifiedTokens(keys: SigningKeys): LRUCache<string, Verified> {
  let cache = verifiedByKeys.get(keys)
  if (!cache) {
    // ttlResolution 0: no timers left behind by a request; expiry is checked on each read.
    cache = new LRUCache<string, Verified>({ max: VERIFIED_MAX_ENTRIES, ttlResolution: 0 })
    verifiedByKeys.set(keys, cache)
  }
  return cache
}

/** Verifies signature (ES256 only), issuer, audience, type and expiry. Returns null when invalid. */
export async function verifyAccessToken(
  env: TokenEnv,
  token: string,
  now = Date.now(),
): Promise<AccessClaims | null> {
  const keys = await signingKeys(env.JWT_KEYS)
  const cache = verifiedTokens(keys)
  const hit = cache.get(token)
  if (hit && hit.issuer === env.JWT_ISSUER && now < hit.acceptedUntil) return hit.claims
  if (hit) cache.delete(token)
  const verified = await verifySignedToken(env, keys, token, now)
  if (!verified) return null
  cache.set(token, verified)
  return verified.claims
}

async function verifySignedToken(
  env: TokenEnv,
  keys: SigningKeys,
  token: string,
  now: number,
): Promise<Verified | null> {
  try {
    const { payload } = await jwtVerify(token, keys.verifier, {
      algorithms: ['ES256'],
      issuer: env.JWT_ISSUER,
      audience: [USER_AUDIENCE, DEVICE_AUDIENCE],
      typ: ACCESS_TOKEN_TYPE,
      currentDate: new Date(now),
      requiredClaims: ['sub', 'exp', 'iat'],
      clockTolerance: CLOCK_TOLERANCE,
    })
    const claims = accessClaims(payload)
    if (!claims) return null
    const acceptedUntil = (payload.exp! + CLOCK_TOLERANCE) * 1000
    return { claims, issuer: env.JWT_ISSUER, acceptedUntil }
  } catch (err) {
    if (err instanceof errors.JOSEError) return null
    throw err
  }
}

function accessClaims(payload: JWTPayload): AccessClaims | null {
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
}
