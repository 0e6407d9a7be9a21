import { base64url } from 'jose'
import { requireSecret } from '../http/config'

/**
 * Slow salted hashes for payment PINs (peppered, see pepperPin), and the account passwords made
 * before argon2id (./passwords.ts verifies those and re-hashes them): PBKDF2-SHA256 in WebCrypto.
 * Stored as `pbkdf2-sha256$<iterations>$<salt>$<hash>` so the count can change per record.
 * Workers refuse more than 100,000 iterations in production, so that is the ceiling.
 */
export const PBKDF2_ITERATIONS = 100_000
const PREFIX = 'pbkdf2-sha256'

export async function hashSecret(secret: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const hash = await derive(secret, salt, iterations)
  return [PREFIX, iterations, base64url.encode(salt), base64url.encode(hash)].join('$')
}

/** A well-formed hash nobody knows the secret of: checking against it costs what a real check costs,
 *  so a login for an unknown phone takes as long as one with a wrong password. */
export const DUMMY_HASH = [PREFIX, PBKDF2_ITERATIONS, 'A'.repeat(22), 'A'.repeat(43)].join('$')

/** True when a stored hash was made with fewer iterations than we use now (rehash after login). */
export function needsRehash(stored: string): boolean {
  const [prefix, iter] = stored.split('$')
  return prefix !== PREFIX || Number(iter) < PBKDF2_ITERATIONS
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [prefix, iter, salt, hash] = stored.split('$')
  const iterations = Number(iter)
  if (
    prefix !== PREFIX ||
    !Number.isInteger(iterations) ||
    iterations < 1 ||
    iterations > PBKDF2_ITERATIONS
  ) {
    return false
  }
  const expected = decodeOrEmpty(hash)
  const actual = await derive(secret, decodeOrEmpty(salt), iterations)
  return (
    expected.byteLength === actual.byteLength && crypto.subtle.timingSafeEqual(expected, actual)
  )
}

/** PINs have only a million values: mix in the PIN_PEPPER secret so a leaked table cannot be brute-forced. */
export function pepperPin(pin: string, pepper: string | undefined): string {
  return `${requireSecret({ PIN_PEPPER: pepper }, 'PIN_PEPPER')}:${pin}`
}

async function derive(secret: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    'PBKDF2',
    false,
    ['deriveBits'],
  )
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    key,
    256,
  )
  return new Uint8Array(bits)
}

function decodeOrEmpty(s: string | undefined): Uint8Array {
  try {
    return base64url.decode(s ?? '')
  } catch {
    return new Uint8Array()
  }
}
