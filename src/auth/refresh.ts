import type { RowOf } from '../db/rows'
import type { devices, refreshTokens } from '../db/schema/auth'
import { newId } from '../lib/ids'
import { randomSecret, sha256Hex } from './secrets'

export const USER_REFRESH_TTL_MS = 30 * 24 * 3600 * 1000
export const DEVICE_REFRESH_TTL_MS = 90 * 24 * 3600 * 1000

export type NewRefreshToken = { id: string; token: string; hash: string; expiresAt: number }

/** 256 random bits; only the SHA-256 digest is stored. */
export async function mintRefreshToken(
  kind: 'user' | 'device',
  now: number,
): Promise<NewRefreshToken> {
  const token = randomSecret(32)
  return {
    id: newId('refreshToken'),
    token,
    hash: await sha256Hex(token),
    expiresAt: now + (kind === 'user' ? USER_REFRESH_TTL_MS : DEVICE_REFRESH_TTL_MS),
  }
}

/** Starts a new family (a login, a registration, a pairing): the first token's id names it. */
export function insertFamilyStatement(
  env: { DB: D1Database },
  rt: NewRefreshToken,
  owner: { userId: string; deviceId: string | null },
  now: number,
) {
  return env.DB.prepare(
    `INSERT INTO refresh_tokens (id, family_id, user_id, device_id, token_hash, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).bind(rt.id, rt.id, owner.userId, owner.deviceId, rt.hash, now, rt.expiresAt)
}

export type RotationResult =
  | {
      ok: true
      userId: string
      phone: string
      deviceId: string | null
      device: DeviceRow | null
      familyId: string
      next: NewRefreshToken
    }
  | { ok: false; reason: 'unknown' | 'wrong_kind' | 'expired' | 'revoked' | 'client_disabled' }
  /** The family was revoked as stolen: its sessions end (the household channel closes them). */
  | { ok: false; reason: 'reused'; userId: string; familyId: string; deviceId: string | null }

type DeviceRow = Pick<RowOf<typeof devices>, 'id' | 'token_version' | 'client_id'>

type TokenRow = Pick<
  RowOf<typeof refreshTokens>,
  'id' | 'family_id' | 'user_id' | 'device_id' | 'expires_at' | 'used_at' | 'revoked_at'
>

/**
 * Exchanges a refresh token for a new one. The old row is marked used and points at its
 * successor in the same batch that inserts the successor, and the insert only happens when that
 * mark was ours, so two concurrent uses cannot both succeed. A token presented after it was used
 * (by anyone, including a concurrent racer) is treated as stolen: its whole family is revoked.
 * A device whose client (TV maker) was disabled gets no new tokens, as it could not pair anew.
 */
export async function rotateRefreshToken(
  env: { DB: D1Database },
  presented: string,
  kind: 'user' | 'device',
  now: number,
  clientId?: string,
): Promise<RotationResult> {
  const row = await env.DB.prepare(
    `SELECT r.id, r.family_id, r.user_id, r.device_id, r.expires_at, r.used_at, r.revoked_at, d.client_id,
       c.enabled AS client_enabled
     FROM refresh_tokens r
       LEFT JOIN devices d ON d.id = r.device_id LEFT JOIN oauth_clients c ON c.id = d.client_id
     WHERE r.token_hash = ?`,
  )
    .bind(await sha256Hex(presented))
    .first<TokenRow & { client_id: string | null; client_enabled: number | null }>()
  if (!row) return { ok: false, reason: 'unknown' }
  if ((row.device_id === null) !== (kind === 'user')) return { ok: false, reason: 'wrong_kind' }
  if (clientId !== undefined && row.client_id !== clientId)
    return { ok: false, reason: 'wrong_kind' }
  if (row.revoked_at !== null) return { ok: false, reason: 'revoked' }
  if (row.used_at !== null) return revokeFamily(env, row, now)
  if (row.expires_at <= now) return { ok: false, reason: 'expired' }
  if (kind === 'device' && row.client_enabled !== 1) return { ok: false, reason: 'client_disabled' }

  const next = await mintRefreshToken(kind, now)
  const [marked, inserted, , owner, device] = await env.DB.batch([
    env.DB.prepare(
      `UPDATE refresh_tokens SET used_at = ?, replaced_by = ?
       WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`,
    ).bind(now, next.id, row.id, now),
    env.DB.prepare(
      `INSERT INTO refresh_tokens (id, family_id, user_id, device_id, token_hash, created_at, expires_at)
       SELECT ?, r.family_id, r.user_id, r.device_id, ?, ?, ? FROM refresh_tokens r
       WHERE r.id = ? AND r.replaced_by = ?
         AND (r.device_id IS NULL
           OR EXISTS (SELECT 1 FROM devices d JOIN oauth_clients c ON c.id = d.client_id
                      WHERE d.id = r.device_id AND d.revoked_at IS NULL AND c.enabled = 1))`,
    ).bind(next.id, next.hash, now, next.expiresAt, row.id, next.id),
    env.DB.prepare(
      'UPDATE devices SET last_seen_at = ? WHERE id = ? AND EXISTS (SELECT 1 FROM refresh_tokens WHERE id = ?)',
    ).bind(now, row.device_id, next.id),
    env.DB.prepare('SELECT phone FROM users WHERE id = ?').bind(row.user_id),
    env.DB.prepare(
      'SELECT id, token_version, client_id FROM devices WHERE id = ? AND revoked_at IS NULL',
    ).bind(row.device_id),
  ])
  if (marked.meta.changes === 0) return revokeFamily(env, row, now)
  if (inserted.meta.changes === 0) return { ok: false, reason: 'revoked' }
  const phone = (owner.results[0] as { phone: string } | undefined)?.phone ?? ''
  const deviceRow = (device.results[0] as DeviceRow | undefined) ?? null
  if (kind === 'device' && !deviceRow) return { ok: false, reason: 'revoked' }
  return {
    ok: true,
    userId: row.user_id,
    phone,
    deviceId: row.device_id,
    device: deviceRow,
    familyId: row.family_id,
    next,
  }
}

/**
 * Reuse means the token was stolen. A phone session ends (its family); a TV ends altogether, as
 * unpairing does: the device is revoked with its token_version bumped (every access token it holds
 * is 401 on the next request) and every refresh token it holds is revoked, in one batch. The
 * person pairs it again.
 */
async function revokeFamily(
  env: { DB: D1Database },
  row: TokenRow,
  now: number,
): Promise<RotationResult> {
  const statements = [
    env.DB.prepare(
      'UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL',
    ).bind(now, row.family_id),
  ]
  if (row.device_id !== null) {
    statements.push(
      env.DB.prepare(
        `UPDATE devices SET revoked_at = ?, token_version = token_version + 1
         WHERE id = ? AND revoked_at IS NULL`,
      ).bind(now, row.device_id),
      env.DB.prepare(
        'UPDATE refresh_tokens SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL',
      ).bind(now, row.device_id),
    )
  }
  await env.DB.batch(statements)
  // A security event worth an alert; ids only, never the token.
  console.warn(
    JSON.stringify({
      event: 'refresh_token_reuse',
      family: row.family_id,
      user: row.user_id,
      ...(row.device_id ? { device: row.device_id, unpaired: true } : {}),
    }),
  )
  return {
    ok: false,
    reason: 'reused',
    userId: row.user_id,
    familyId: row.family_id,
    deviceId: row.device_id,
  }
}

/**
 * Logout: revokes the family of a token the caller holds (unknown tokens are ignored). Returns
 * the family it ended, or null when there was nothing live to end.
 */
export async function revokeFamilyOf(env: { DB: D1Database }, presented: string, now: number) {
  const ended = await env.DB.prepare(
    `UPDATE refresh_tokens SET revoked_at = ?
     WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = ?) AND revoked_at IS NULL
     RETURNING user_id, family_id, device_id`,
  )
    .bind(now, await sha256Hex(presented))
    .first<{ user_id: string; family_id: string; device_id: string | null }>()
  if (!ended) return null
  return { userId: ended.user_id, familyId: ended.family_id, deviceId: ended.device_id }
}

/** Exported for tests/auth/query-plans.test.ts, which checks the plan of this very text. */
export const LIVE_SESSION_SQL = `SELECT user_id, device_id FROM refresh_tokens
  WHERE family_id = ?1 AND revoked_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = ?1 AND revoked_at IS NOT NULL)
  LIMIT 1`

/**
 * Whether the phone session (refresh family) a user access token was minted with is still alive:
 * the family has a row that is not revoked and none that is. Logout and reuse detection revoke
 * every row of the family, so either ends the session. The first row (id = family_id) is no test:
 * the cron purges it a day after it expires while its rotated successors live on. A family with
 * no row left was purged, which happens over 30 days after its newest token was minted, long
 * after the access tokens minted with it (15 minutes) expired. Two seeks on
 * refresh_tokens_family_revoked_idx, one table row read.
 */
export async function userSessionIsLive(env: { DB: D1Database }, userId: string, familyId: string) {
  const row = await env.DB.prepare(LIVE_SESSION_SQL)
    .bind(familyId)
    .first<{ user_id: string; device_id: string | null }>()
  return row !== null && row.user_id === userId && row.device_id === null
}

/** Deletes rows a day past expiry: an expired token is refused anyway; bounded per call. */
export async function purgeRefreshTokens(env: { DB: D1Database }, now: number, max = 1000) {
  const res = await env.DB.prepare(
    'DELETE FROM refresh_tokens WHERE rowid IN (SELECT rowid FROM refresh_tokens WHERE expires_at <= ? LIMIT ?)',
  )
    .bind(now - 24 * 3600 * 1000, max)
    .run()
  return res.meta.changes
}
