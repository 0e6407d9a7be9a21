import { createLocalJWKSet, importJWK, type JWK, type CryptoKey } from 'jose'
import { misconfigured } from '../http/config'

/**
 * Signing keys come from the JWT_KEYS secret: a JWK Set of ES256 private keys, each with a `kid`.
 * The last key signs; every key verifies, so keys rotate by appending a new one and removing the
 * old one once its tokens have expired.
 */
export type SigningKeys = {
  current: { kid: string; key: CryptoKey }
  publicJwks: { keys: JWK[] }
  verifier: ReturnType<typeof createLocalJWKSet>
}

let cached: { source: string; keys: Promise<SigningKeys> } | undefined

/** 503 service_misconfigured (logged once per isolate and value) when JWT_KEYS is missing or unusable. */
export function signingKeys(secret: string | undefined): Promise<SigningKeys> {
  if (!secret) return Promise.reject(misconfigured('JWT_KEYS'))
  if (cached?.source !== secret) {
    const keys = loadKeys(secret).catch((err: unknown) => {
      throw misconfigured('JWT_KEYS', err instanceof Error ? err.message : 'is not usable')
    })
    cached = { source: secret, keys }
  }
  return cached.keys
}

async function loadKeys(secret: string): Promise<SigningKeys> {
  let set: { keys?: JWK[] }
  try {
    set = JSON.parse(secret) as { keys?: JWK[] }
  } catch {
    throw new Error('JWT_KEYS is not JSON')
  }
  const keys = (set.keys ?? []).filter(
    (k) =>
      k.kty === 'EC' &&
      k.crv === 'P-256' &&
      k.d &&
      k.kid &&
      (k.alg === undefined || k.alg === 'ES256'),
  )
  if (keys.length === 0) throw new Error('JWT_KEYS holds no ES256 private key with a kid')
  if (new Set(keys.map((k) => k.kid)).size !== keys.length)
    throw new Error('JWT_KEYS has duplicate kids')
  // Only the public half is published: x, y and the metadata; never d, never key_ops 'sign'.
  const publicKeys = keys.map(({ kty, crv, x, y, kid }) => ({
    kty,
    crv,
    x,
    y,
    kid,
    alg: 'ES256',
    use: 'sig',
  }))
  const last = keys[keys.length - 1]
  const key = (await importJWK({ ...last, alg: 'ES256' }, 'ES256')) as CryptoKey
  return {
    current: { kid: last.kid!, key },
    publicJwks: { keys: publicKeys },
    verifier: createLocalJWKSet({ keys: publicKeys }),
  }
}
