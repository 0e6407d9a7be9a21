import type { RowOf } from '../db/rows'
import type { deviceAuthorizations } from '../db/schema/auth'
import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
import { publicUrl } from '../pages/public-url'
import { OAuthError } from './oauth-errors'
import { mintRefreshToken } from './refresh'
import { randomSecret, sha256Hex } from './secrets'
import { ACCESS_TOKEN_TTL_SECONDS, DEVICE_AUDIENCE, signAccessToken } from './tokens'

/** RFC 8628 §6.1: 20 consonants (no vowels, so no words), 8 of them ≈ 34.6 bits. */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'
export const USER_CODE_LENGTH = 8
export const DEVICE_CODE_TTL_SECONDS = 600

/** How long a pairing code lives: DEVICE_CODE_TTL_SECONDS, or the var of that name (the e2e run). */
export function deviceCodeTtlSeconds(env: { DEVICE_CODE_TTL_SECONDS?: string }): number {
  const seconds = Number(env.DEVICE_CODE_TTL_SECONDS ?? DEVICE_CODE_TTL_SECONDS)
  return Number.isInteger(seconds) && seconds > 0 ? seconds : DEVICE_CODE_TTL_SECONDS
}
export const POLL_INTERVAL_SECONDS = 5
export const SLOW_DOWN_STEP_SECONDS = 5

type PairingEnv = {
  DB: D1Database
  JWT_KEYS: string
  JWT_ISSUER: string
  PUBLIC_BASE_URL: string
  DEVICE_CODE_TTL_SECONDS?: string
}

/** Uniform over the alphabet: bytes ≥ 240 (12 × 20) are rejected rather than folded (no modulo bias). */
export function generateUserCode(): string {
  let code = ''
  while (code.length < USER_CODE_LENGTH) {
    for (const b of crypto.getRandomValues(new Uint8Array(16))) {
      if (b < 240 && code.length < USER_CODE_LENGTH) code += USER_CODE_ALPHABET[b % 20]
    }
  }
  return code
}

export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`
}

/** Case-insensitive; dashes and spaces ignored. Null when it cannot be a code we issued. */
export function normalizeUserCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '')
  const valid =
    code.length === USER_CODE_LENGTH && [...code].every((ch) => USER_CODE_ALPHABET.includes(ch))
  return valid ? code : null
}

export function verificationUri(env: { PUBLIC_BASE_URL: string }): string {
  return publicUrl(env, '/activate')
}

export async function startDeviceAuthorization(
  env: PairingEnv,
  input: { clientId: string; deviceName?: string },
  now = Date.now(),
) {
  const client = await env.DB.prepare(
    'SELECT id, name FROM oauth_clients WHERE id = ? AND enabled = 1',
  )
    .bind(input.clientId)
    .first<{ id: string; name: string }>()
  if (!client) throw new OAuthError('invalid_client', 'Unknown client_id')
  const deviceCode = randomSecret(32)
  const deviceCodeHash = await sha256Hex(deviceCode)
  const ttlSeconds = deviceCodeTtlSeconds(env)
  const expiresAt = now + ttlSeconds * 1000
  // A pending user_code must be unique; on the rare collision draw again.
  for (let attempt = 0; attempt < 5; attempt++) {
    const userCode = generateUserCode()
    const res = await env.DB.prepare(
      `INSERT INTO device_authorizations
         (id, client_id, device_code_hash, user_code, device_name, status, interval_seconds, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    )
      .bind(
        newId('deviceAuthorization'),
        client.id,
        deviceCodeHash,
        userCode,
        input.deviceName ?? client.name,
        POLL_INTERVAL_SECONDS,
        now,
        expiresAt,
      )
      .run()
    if (res.meta.changes === 1) {
      const uri = verificationUri(env)
      const shown = formatUserCode(userCode)
      return {
        device_code: deviceCode,
        user_code: shown,
        verification_uri: uri,
        verification_uri_complete: `${uri}?user_code=${shown}`,
        expires_in: ttlSeconds,
        interval: POLL_INTERVAL_SECONDS,
      }
    }
  }
  throw new Error('could not allocate a unique user_code')
}

export type ActivationResult =
  | { status: 'approved'; device: { id: string; name: string; client_id: string } }
  | { status: 'denied'; device: null }

/** The phone approves or denies the TV showing `userCode`. Single use: the code leaves `pending`. */
export async function activateDevice(
  env: { DB: D1Database },
  input: { userId: string; userCode: string; approve: boolean },
  now = Date.now(),
): Promise<ActivationResult> {
  const pending = await env.DB.prepare(
    `SELECT id, client_id, device_name, expires_at FROM device_authorizations
     WHERE user_code = ? AND status = 'pending'`,
  )
    .bind(input.userCode)
    .first<{ id: string; client_id: string; device_name: string; expires_at: number }>()
  if (!pending || pending.expires_at <= now) throw codeNotFound()

  if (!input.approve) {
    const res = await env.DB.prepare(
      `UPDATE device_authorizations SET status = 'denied', user_id = ?, decided_at = ?
       WHERE id = ? AND status = 'pending' AND expires_at > ?`,
    )
      .bind(input.userId, now, pending.id, now)
      .run()
    if (res.meta.changes === 0) throw codeNotFound()
    return { status: 'denied', device: null }
  }

  const deviceId = newId('device')
  const [approved] = await env.DB.batch([
    env.DB.prepare(
      `UPDATE device_authorizations SET status = 'approved', user_id = ?, device_id = ?, decided_at = ?
       WHERE id = ? AND status = 'pending' AND expires_at > ?`,
    ).bind(input.userId, deviceId, now, pending.id, now),
    env.DB.prepare(
      `INSERT INTO devices (id, user_id, client_id, name, token_version, created_at)
       SELECT device_id, user_id, client_id, device_name, 1, ? FROM device_authorizations
       WHERE id = ? AND device_id = ?`,
    ).bind(now, pending.id, deviceId),
  ])
  if (approved.meta.changes === 0) throw codeNotFound()
  return {
    status: 'approved',
    device: { id: deviceId, name: pending.device_name, client_id: pending.client_id },
  }
}

function codeNotFound() {
  return new ApiError(
    'not_found',
    'No pairing is waiting for that code; it may have expired or been used',
  )
}

type AuthorizationRow = Pick<
  RowOf<typeof deviceAuthorizations>,
  'id' | 'client_id' | 'status' | 'interval_seconds' | 'last_polled_at' | 'device_id' | 'expires_at'
>

export type DeviceTokens = {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token: string
}

/** The TV's poll (RFC 8628 §3.4/3.5). Throws OAuthError for every non-token outcome. */
export async function exchangeDeviceCode(
  env: PairingEnv,
  input: { deviceCode: string; clientId: string },
  now = Date.now(),
): Promise<DeviceTokens> {
  await requireClient(env, input.clientId)
  const row = await env.DB.prepare(
    `SELECT id, client_id, status, interval_seconds, last_polled_at, device_id, expires_at
     FROM device_authorizations WHERE device_code_hash = ?`,
  )
    .bind(await sha256Hex(input.deviceCode))
    .first<AuthorizationRow>()
  if (!row || row.client_id !== input.clientId)
    throw new OAuthError('invalid_grant', 'Unknown device_code')
  if (row.status === 'consumed')
    throw new OAuthError('invalid_grant', 'This device_code was already used')
  if (row.status === 'expired')
    throw new OAuthError('invalid_grant', 'This device_code has expired')
  if (row.expires_at <= now) return expire(env, row, now)
  if (row.status === 'denied') return reportDenial(env, row)
  if (row.status === 'pending') return pending(env, row, now)
  return issueDeviceTokens(env, row, now)
}

async function requireClient(env: { DB: D1Database }, clientId: string) {
  const client = await env.DB.prepare(
    'SELECT 1 AS ok FROM oauth_clients WHERE id = ? AND enabled = 1',
  )
    .bind(clientId)
    .first()
  if (!client) throw new OAuthError('invalid_client', 'Unknown client_id')
}

/** Reported once as expired_token; afterwards the code is terminal (invalid_grant). An approved
 *  but never collected pairing also unpairs the device it created (it never received a token). */
async function expire(env: { DB: D1Database }, row: AuthorizationRow, now: number): Promise<never> {
  const [marked] = await env.DB.batch([
    env.DB.prepare(
      `UPDATE device_authorizations SET status = 'expired' WHERE id = ? AND status = ?`,
    ).bind(row.id, row.status),
    unpairUncollectedStatement(env, row.id, now),
  ])
  if (marked.meta.changes === 0)
    throw new OAuthError('invalid_grant', 'This device_code has expired')
  throw new OAuthError('expired_token', 'The device_code has expired; start pairing again')
}

export function unpairUncollectedStatement(
  env: { DB: D1Database },
  authorizationId: string,
  now: number,
) {
  return env.DB.prepare(
    `UPDATE devices SET revoked_at = ?, token_version = token_version + 1
     WHERE id = (SELECT device_id FROM device_authorizations WHERE id = ? AND status = 'expired')
       AND revoked_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE device_id = devices.id)`,
  ).bind(now, authorizationId)
}

async function reportDenial(env: { DB: D1Database }, row: AuthorizationRow): Promise<never> {
  const res = await env.DB.prepare(
    `UPDATE device_authorizations SET status = 'consumed' WHERE id = ? AND status = 'denied'`,
  )
    .bind(row.id)
    .run()
  if (res.meta.changes === 0)
    throw new OAuthError('invalid_grant', 'This device_code was already used')
  throw new OAuthError('access_denied', 'The account owner declined to pair this device')
}

/** Polling faster than the interval earns slow_down and 5 more seconds, for this and later polls.
 *  The update is guarded on the last poll time we read, so concurrent polls count as too fast. */
async function pending(
  env: { DB: D1Database },
  row: AuthorizationRow,
  now: number,
): Promise<never> {
  const tooFast =
    row.last_polled_at !== null && now - row.last_polled_at < row.interval_seconds * 1000
  const res = await env.DB.prepare(
    `UPDATE device_authorizations SET last_polled_at = ?, interval_seconds = interval_seconds + ?
     WHERE id = ? AND status = 'pending' AND last_polled_at IS ?`,
  )
    .bind(now, tooFast ? SLOW_DOWN_STEP_SECONDS : 0, row.id, row.last_polled_at)
    .run()
  if (tooFast || res.meta.changes === 0) {
    throw new OAuthError(
      'slow_down',
      `Poll at most every ${row.interval_seconds + SLOW_DOWN_STEP_SECONDS} seconds`,
      {
        interval: row.interval_seconds + SLOW_DOWN_STEP_SECONDS,
      },
    )
  }
  throw new OAuthError(
    'authorization_pending',
    'Waiting for the account owner to approve on their phone',
  )
}

/** Consumes the approved code and starts the device's refresh family in one batch; the insert
 *  only happens when the consume was ours and the device is still paired. */
async function issueDeviceTokens(
  env: PairingEnv,
  row: AuthorizationRow,
  now: number,
): Promise<DeviceTokens> {
  const rt = await mintRefreshToken('device', now)
  const [consumed, inserted, , device] = await env.DB.batch([
    env.DB.prepare(
      `UPDATE device_authorizations SET status = 'consumed', consumed_by = ?
       WHERE id = ? AND status = 'approved' AND expires_at > ?`,
    ).bind(rt.id, row.id, now),
    env.DB.prepare(
      `INSERT INTO refresh_tokens (id, family_id, user_id, device_id, token_hash, created_at, expires_at)
       SELECT ?, ?, d.user_id, d.id, ?, ?, ? FROM device_authorizations a JOIN devices d ON d.id = a.device_id
       WHERE a.id = ? AND a.consumed_by = ? AND d.revoked_at IS NULL`,
    ).bind(rt.id, rt.id, rt.hash, now, rt.expiresAt, row.id, rt.id),
    env.DB.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ? AND revoked_at IS NULL').bind(
      now,
      row.device_id,
    ),
    env.DB.prepare(
      'SELECT id, user_id, client_id, token_version FROM devices WHERE id = ? AND revoked_at IS NULL',
    ).bind(row.device_id),
  ])
  if (consumed.meta.changes === 0)
    throw new OAuthError('invalid_grant', 'This device_code was already used')
  const d = device.results[0] as
    | { id: string; user_id: string; client_id: string; token_version: number }
    | undefined
  if (inserted.meta.changes === 0 || !d)
    throw new OAuthError('invalid_grant', 'The device was unpaired before it collected its token')
  return deviceTokens(env, d, rt.token, now)
}

export async function deviceTokens(
  env: PairingEnv,
  d: { id: string; user_id: string; client_id: string; token_version: number },
  refreshToken: string,
  now: number,
): Promise<DeviceTokens> {
  const claims = {
    aud: DEVICE_AUDIENCE,
    sub: d.id,
    uid: d.user_id,
    ver: d.token_version,
    cid: d.client_id,
  } as const
  return {
    access_token: await signAccessToken(env, claims, now),
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: refreshToken,
  }
}
