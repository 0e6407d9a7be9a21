import { createLocalJWKSet, importJWK, type JWK, type CryptoKey } from 'jose'

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

export function signingKeys(secret: string | undefined): Promise<SigningKeys> {
  if (!secret) throw new Error('JWT_KEYS secret is not configured')
  if (cached?.source !== secret) cached = { source: secret, keys: loadKeys(secret) }
  return cached.keys
}

async function loadKeys(secret: string): Promise<SigningKeys> {
  const set = JSON.parse(secret) as { keys?: JWK[] }
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
