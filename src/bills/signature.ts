import { ApiError } from '../http/errors'

/**
 * `X-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`, v1 = HMAC-SHA256(feed secret, t + "." + payload)
 * where the payload is the raw request body (POST) or the raw query string without "?" (GET).
 * Several v1 values let a biller sign with the old and the new secret during a rotation; any one
 * that matches any currently valid secret is enough.
 */
export const TOLERANCE_SECONDS = 5 * 60
const MAX_SIGNATURES = 5
const enc = new TextEncoder()

export type ParsedSignature = { timestamp: number; signatures: Uint8Array[] }

export function parseSignatureHeader(header: string | undefined): ParsedSignature {
  const bad = () =>
    new ApiError('invalid_signature', 'X-Signature must be "t=<unix seconds>,v1=<hex HMAC-SHA256>"')
  if (!header || header.length > 1024) throw bad()
  let timestamp: number | undefined
  const signatures: Uint8Array[] = []
  for (const part of header.split(',')) {
    const eq = part.indexOf('=')
    const name = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (eq < 0) throw bad()
    if (name === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) throw bad()
      timestamp = Number(value)
    } else if (name === 'v1') {
      // Other schemes (v0, v2, …) are ignored, as Stripe does, so a biller can add one later.
      if (!/^[0-9a-fA-F]{64}$/.test(value)) throw bad()
      signatures.push(fromHex(value))
    }
  }
  if (timestamp === undefined || signatures.length === 0 || signatures.length > MAX_SIGNATURES)
    throw bad()
  return { timestamp, signatures }
}

/** The timestamp must be within 5 minutes of now, in either direction (clock skew both ways). */
export function checkTimestamp(timestamp: number, nowMs: number): void {
  if (Math.abs(Math.floor(nowMs / 1000) - timestamp) > TOLERANCE_SECONDS) {
    throw new ApiError(
      'signature_expired',
      `The signature timestamp is more than ${TOLERANCE_SECONDS} seconds from now`,
    )
  }
}

/** The bytes that are signed: `t.` followed by the payload bytes exactly as sent. */
export function signedMessage(timestamp: number, payload: Uint8Array): Uint8Array {
  const head = enc.encode(`${timestamp}.`)
  const message = new Uint8Array(head.length + payload.length)
  message.set(head)
  message.set(payload, head.length)
  return message
}

/** True when any presented signature is the HMAC of the message under any of the secrets. */
export async function anySignatureMatches(
  secrets: string[],
  message: Uint8Array,
  presented: Uint8Array[],
): Promise<boolean> {
  let matched = false
  for (const secret of secrets) {
    const expected = new Uint8Array(await hmacSha256(secret, message))
    // Every pair is compared, in constant time, so timing reveals neither which nor how much matched.
    for (const candidate of presented) {
      if (crypto.subtle.timingSafeEqual(expected, candidate)) matched = true
    }
  }
  return matched
}

export async function hmacSha256(secret: string, message: Uint8Array): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey(
    'raw',
    enc.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  return crypto.subtle.sign('HMAC', key, message)
}

/** Identifies the signed message for replay detection, whichever secret or v1 value carried it. */
export async function messageDigest(message: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', message)))
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}
