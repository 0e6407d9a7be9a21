import type { idempotencyKeys } from '../db/schema/payments'
import type { RowOf } from '../db/rows'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError, tryAgainIn } from './errors'
import { requireSecret } from './config'

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000
/** A claim whose request never finished (the isolate died) may be taken over after this long. */
export const STALE_CLAIM_MS = 60 * 1000
const KEY = /^[\x21-\x7e]{1,255}$/

type StoredRow = Pick<
  RowOf<typeof idempotencyKeys>,
  | 'request_hash'
  | 'response_status'
  | 'response_body'
  | 'response_type'
  | 'created_at'
  | 'expires_at'
>

/**
 * Idempotency-Key for money POSTs, after the auth middleware (keys are scoped to the principal and
 * the route: method + path). The key is claimed with an INSERT before the handler runs, so of two
 * concurrent requests only one proceeds; the other gets 409 idempotency_in_progress. The first
 * final response below 500 is stored and replayed byte for byte with Idempotency-Replayed: true;
 * the same key with another body is 422 idempotency_key_reuse. A 5xx drops the claim so a retry
 * runs again. A request without the header is simply processed (keys are recommended, not
 * required).
 */
export const idempotent = createMiddleware<AppEnv>(async function idempotent(c, next) {
  const key = c.req.header('idempotency-key')
  if (key === undefined) return next()
  if (!KEY.test(key)) {
    const detail = 'Idempotency-Key must be 1-255 visible ASCII characters'
    throw new ApiError('idempotency_key_invalid', detail)
  }
  const d1 = c.env.DB
  const scope = `${scopeOf(c.get('principal'))} ${c.req.method} ${c.req.path}`
  const request = await c.req.text()
  const requestHash = await fingerprint(c.env, request)
  const now = Date.now()

  const matches = (storedHash: string) => sameRequest(c.env, storedHash, request)
  const stored = await claim(d1, scope, key, requestHash, matches, now)
  if (stored) return replay(stored, await matches(stored.request_hash))

  try {
    await next()
  } catch (err) {
    await release(d1, scope, key)
    throw err
  }
  if (c.res.status >= 500) {
    await release(d1, scope, key)
    return
  }
  const body = await c.res.clone().text()
  await d1
    .prepare(
      `UPDATE idempotency_keys SET response_status = ?, response_body = ?, response_type = ?
       WHERE scope = ? AND key = ?`,
    )
    .bind(c.res.status, body, c.res.headers.get('content-type') ?? 'application/json', scope, key)
    .run()
})

/** Mount after the route's auth middleware: requireAdmin sets no principal, so none means admin. */
function scopeOf(principal: AppEnv['Variables']['principal'] | undefined): string {
  if (principal?.kind === 'user') return `user:${principal.userId}`
  if (principal?.kind === 'device') return `device:${principal.deviceId}`
  return 'admin'
}

/** Claims the key, or returns the row another request already holds for it. */
async function claim(
  d1: D1Database,
  scope: string,
  key: string,
  requestHash: string,
  matches: (storedHash: string) => Promise<boolean>,
  now: number,
) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const inserted = await d1
      .prepare(
        `INSERT INTO idempotency_keys (scope, key, request_hash, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO NOTHING`,
      )
      .bind(scope, key, requestHash, now, now + IDEMPOTENCY_TTL_MS)
      .run()
    if (inserted.meta.changes === 1) return null
    const row = await d1
      .prepare(
        `SELECT request_hash, response_status, response_body, response_type, created_at, expires_at
         FROM idempotency_keys WHERE scope = ? AND key = ?`,
      )
      .bind(scope, key)
      .first<StoredRow>()
    if (!row) continue
    if (row.expires_at <= now) {
      // Kept 24 h; a leftover the cron has not cleaned yet is as good as gone.
      await d1
        .prepare('DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND expires_at <= ?')
        .bind(scope, key, now)
        .run()
      continue
    }
    const stale = row.response_status === null && row.created_at < now - STALE_CLAIM_MS
    if (stale && (await matches(row.request_hash))) {
      const taken = await d1
        .prepare(
          `UPDATE idempotency_keys SET created_at = ? WHERE scope = ? AND key = ?
             AND response_status IS NULL AND created_at = ?`,
        )
        .bind(now, scope, key, row.created_at)
        .run()
      if (taken.meta.changes === 1) return null
    }
    return row
  }
  throw inProgress()
}

function replay(row: StoredRow, sameBody: boolean): Response {
  if (!sameBody) {
    const detail = 'This Idempotency-Key was used with a different request body'
    throw new ApiError('idempotency_key_reuse', detail)
  }
  if (row.response_status === null) {
    throw inProgress()
  }
  return new Response(row.response_body, {
    status: row.response_status,
    headers: {
      'content-type': row.response_type ?? 'application/json',
      'idempotency-replayed': 'true',
    },
  })
}

function inProgress(): ApiError {
  const detail = 'A request with this Idempotency-Key is still being processed'
  return tryAgainIn(1, 'idempotency_in_progress', detail)
}

async function release(d1: D1Database, scope: string, key: string) {
  await d1
    .prepare('DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND response_status IS NULL')
    .bind(scope, key)
    .run()
}

const FINGERPRINT = 'hmac1:'
/** What migration 0017 left in place of fingerprints made before they were keyed (any body matches). */
export const REDACTED_FINGERPRINT = 'redacted'

/**
 * What idempotency_keys.request_hash stores: `hmac1:` + HMAC-SHA256 of the canonical JSON (sorted
 * keys, so key order and whitespace do not matter; a body that is not JSON is taken byte for byte)
 * under a key derived from the PIN_PEPPER secret. A plain hash of a confirm body gave its PIN back
 * in 10^6 guesses; without the secret a dump gives nothing to test guesses against. The PIN stays
 * in the fingerprint so a retry with another PIN is 422 (the contract), not a replay of the first
 * answer.
 */
export async function fingerprint(env: { PIN_PEPPER?: string }, body: string): Promise<string> {
  const key = await fingerprintKey(requireSecret(env, 'PIN_PEPPER'))
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(canonical(body)))
  return FINGERPRINT + hex(mac)
}

/** Whether a stored fingerprint names this body; old formats stay comparable for their 24 h. */
async function sameRequest(env: { PIN_PEPPER?: string }, stored: string, body: string) {
  if (stored.startsWith(FINGERPRINT)) return stored === (await fingerprint(env, body))
  if (stored === REDACTED_FINGERPRINT) return true
  // Plain SHA-256 of the whole body, written by code from before 0017 during the deploy.
  return stored === (await legacyFingerprint(body))
}

async function legacyFingerprint(body: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical(body))))
}

function canonical(body: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(body)))
  } catch {
    return body
  }
}

let cachedKey: { source: string; key: Promise<CryptoKey> } | undefined

function fingerprintKey(pepper: string): Promise<CryptoKey> {
  if (cachedKey?.source !== pepper) {
    const enc = new TextEncoder()
    const key = crypto.subtle
      .importKey('raw', enc.encode(pepper), 'HKDF', false, ['deriveKey'])
      .then((ikm) =>
        crypto.subtle.deriveKey(
          {
            name: 'HKDF',
            hash: 'SHA-256',
            salt: enc.encode('tvpay'),
            info: enc.encode('idempotency fingerprint v1'),
          },
          ikm,
          { name: 'HMAC', hash: 'SHA-256', length: 256 },
          false,
          ['sign'],
        ),
      )
    cachedKey = { source: pepper, key }
  }
  return cachedKey.key
}

function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('')
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    )
  }
  return value
}

/** Cron: drops keys older than 24 h, a bounded slice per tick. */
export async function cleanExpiredIdempotencyKeys(env: Env, now: number, limit = 500) {
  const res = await env.DB.prepare(
    `DELETE FROM idempotency_keys WHERE rowid IN
       (SELECT rowid FROM idempotency_keys WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
  )
    .bind(now, limit)
    .run()
  return res.meta.changes
}
