import { base64url } from 'jose'
import { requireSecret } from '../http/config'

/**
 * Feed secrets are HMAC keys shared with a biller. Verifying an HMAC needs the secret itself, so
 * they cannot be stored hashed like passwords: they are encrypted with AES-256-GCM under a key
 * derived (HKDF-SHA256) from the BILLER_FEED_KEY Worker secret, with the biller id as additional
 * data so a ciphertext copied onto another biller does not decrypt. A database dump alone reveals
 * no secret.
 */
const FORMAT = 'v1'
const SECRET_PREFIX = 'fsk_'
const enc = new TextEncoder()

let cachedKey: { source: string; key: Promise<CryptoKey> } | undefined

function encryptionKey(env: Env): Promise<CryptoKey> {
  // 503 service_misconfigured when missing or shorter than 32 characters
  const source = requireSecret(env, 'BILLER_FEED_KEY')
  if (cachedKey?.source !== source) cachedKey = { source, key: deriveKey(source) }
  return cachedKey.key
}

async function deriveKey(source: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', enc.encode(source), 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: enc.encode('tvpay'),
      info: enc.encode('biller feed secrets v1'),
    },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}

/** A fresh feed secret: `fsk_` + 32 random bytes, base64url. The whole string is the HMAC key. */
export function generateFeedSecret(): string {
  return SECRET_PREFIX + base64url.encode(crypto.getRandomValues(new Uint8Array(32)))
}

export async function encryptFeedSecret(
  env: Env,
  billerId: string,
  secret: string,
): Promise<string> {
  const key = await encryptionKey(env)
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: enc.encode(billerId) },
    key,
    enc.encode(secret),
  )
  return [FORMAT, base64url.encode(iv), base64url.encode(new Uint8Array(sealed))].join('.')
}

/** null when the ciphertext is not ours (wrong key, wrong biller, tampered): such a secret verifies nothing. */
export async function decryptFeedSecret(
  env: Env,
  billerId: string,
  stored: string,
): Promise<string | null> {
  const key = await encryptionKey(env)
  const [format, iv, sealed] = stored.split('.')
  if (format !== FORMAT || !iv || !sealed) return null
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: base64url.decode(iv), additionalData: enc.encode(billerId) },
      key,
      base64url.decode(sealed),
    )
    return new TextDecoder().decode(plain)
  } catch {
    return null
  }
}
