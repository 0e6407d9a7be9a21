import { base64url } from 'jose'

/** Random opaque secrets (refresh tokens, device codes) and the SHA-256 digests we store instead. */

export function randomSecret(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)))
}

/** Hex SHA-256. High-entropy secrets need no salt or stretching: a digest is enough to look them up. */
export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
