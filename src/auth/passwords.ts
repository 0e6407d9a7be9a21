import { argon2id } from './argon2'
import { verifySecret } from './hashing'

/**
 * Account passwords: argon2id (OWASP's first choice) at m = 19 MiB, t = 2, p = 1, stored as a PHC
 * string, `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, so parameters can change per record.
 * PBKDF2 in workerd stops at 100,000 iterations, a sixth of OWASP's 600,000 for PBKDF2-SHA256;
 * hashes made that way (`pbkdf2-sha256$…`) still verify, and a login re-hashes them (needsRehash).
 * Figures and the choice: docs/security.md ("Password hashing").
 */
export const ARGON2 = { memorySize: 19_456, passes: 2, parallelism: 1 } as const

/** What a stored hash may ask for: anything heavier is refused unread (a hostile or broken row). */
const LIMITS = { memorySize: 65_536, passes: 10 }

type Argon2Params = { memorySize: number; passes: number; parallelism: number }

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  return encode(ARGON2, salt, await derive(password, salt, ARGON2))
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (!stored.startsWith('$argon2id$')) return verifySecret(password, stored)
  const parsed = parse(stored)
  if (!parsed) return false
  // The package refuses passwords under 8 bytes (registration asks for 8 characters): such a login
  // is wrong, after the same work as any other.
  const tooShort = new TextEncoder().encode(password).byteLength < 8
  const actual = await derive(tooShort ? '\0'.repeat(8) : password, parsed.salt, parsed.params)
  if (tooShort) return false
  return (
    actual.byteLength === parsed.hash.byteLength &&
    crypto.subtle.timingSafeEqual(actual, parsed.hash)
  )
}

/** Anything but argon2id at today's parameters is re-hashed after a successful login. */
export function passwordNeedsRehash(stored: string): boolean {
  const parsed = parse(stored)
  if (!parsed) return true
  const { params } = parsed
  return (
    params.memorySize !== ARGON2.memorySize ||
    params.passes !== ARGON2.passes ||
    params.parallelism !== ARGON2.parallelism
  )
}

/** Well formed, at today's cost, matching nothing: an unknown phone costs what a wrong password does. */
export const DUMMY_PASSWORD_HASH = encode(ARGON2, new Uint8Array(16), new Uint8Array(32))

async function derive(password: string, salt: Uint8Array, params: Argon2Params) {
  const hash = await argon2id()
  return hash({
    password: new TextEncoder().encode(password),
    salt,
    ...params,
    tagLength: 32,
  })
}

function encode(params: Argon2Params, salt: Uint8Array, hash: Uint8Array): string {
  const { memorySize: m, passes: t, parallelism: p } = params
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(hash)}`
}

const PHC =
  /^\$argon2id\$v=19\$m=(\d{1,6}),t=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{22,})\$([A-Za-z0-9+/]{43})$/

function parse(stored: string) {
  const m = PHC.exec(stored)
  if (!m) return null
  const params = { memorySize: Number(m[1]), passes: Number(m[2]), parallelism: Number(m[3]) }
  const { memorySize, passes, parallelism } = params
  if (parallelism < 1 || passes < 1 || passes > LIMITS.passes) return null
  if (memorySize < 8 * parallelism || memorySize > LIMITS.memorySize) return null
  return { params, salt: unb64(m[4]!), hash: unb64(m[5]!) }
}

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/=+$/, '')
}

function unb64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
}
