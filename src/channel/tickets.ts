import type { Principal } from '../env'
import { randomSecret, sha256Hex } from '../auth/secrets'
import { ApiError, tryAgainIn } from '../http/errors'

export const TICKET_TTL_SECONDS = 60
/** Live (unredeemed, unexpired) tickets a household may hold at once: a reconnect loop's brake. */
export const MAX_LIVE_TICKETS = 20

/** 256 random bits, base64url: what randomSecret(32) makes. Anything else is refused unhashed. */
const TICKET_SHAPE = /^[A-Za-z0-9_-]{43}$/

/** Whoever a redeemed ticket was issued to, as their access token said it. */
export type TicketHolder =
  | { kind: 'phone'; userId: string; sessionId: string }
  | { kind: 'tv'; userId: string; deviceId: string; tokenVersion: number }

/**
 * Issues a ticket for the caller's household. Only its SHA-256 is stored, so a leaked table opens
 * nothing. A TV's ticket records the device's current token_version (the token was just checked
 * against it), and is not written at all if the device was unpaired in the meantime. At most
 * MAX_LIVE_TICKETS live tickets per household: over that, 429 until the oldest expires.
 */
export async function issueTicket(
  env: { DB: D1Database },
  principal: Principal,
  now: number,
): Promise<{ ticket: string; expires_in: number }> {
  const ticket = randomSecret(32)
  const hash = await sha256Hex(ticket)
  const expiresAt = now + TICKET_TTL_SECONDS * 1000
  const underCap = `(SELECT count(*) FROM channel_tickets WHERE user_id = ?2 AND expires_at > ?3) < ${MAX_LIVE_TICKETS}`
  const insert =
    principal.kind === 'device'
      ? env.DB.prepare(
          `INSERT INTO channel_tickets (ticket_hash, user_id, device_id, token_version, created_at, expires_at)
           SELECT ?1, ?2, id, token_version, ?3, ?4 FROM devices
           WHERE id = ?5 AND user_id = ?2 AND revoked_at IS NULL AND ${underCap}`,
        ).bind(hash, principal.userId, now, expiresAt, principal.deviceId)
      : env.DB.prepare(
          `INSERT INTO channel_tickets (ticket_hash, user_id, session_id, created_at, expires_at)
           SELECT ?1, ?2, ?5, ?3, ?4 WHERE ${underCap}`,
        ).bind(hash, principal.userId, now, expiresAt, sessionOf(principal))
  const res = await insert.run()
  if (res.meta.changes === 1) return { ticket, expires_in: TICKET_TTL_SECONDS }
  if (principal.kind === 'device' && !(await deviceIsPaired(env, principal.deviceId))) {
    throw new ApiError('invalid_token', 'This device is no longer paired')
  }
  const retryAfter = await secondsUntilATicketExpires(env, principal.userId, now)
  throw tryAgainIn(
    retryAfter,
    'rate_limited',
    `At most ${MAX_LIVE_TICKETS} unused channel tickets at once; use one or wait`,
  )
}

/**
 * Redeems a ticket: deletes its row and returns its holder, so a ticket works once whatever
 * happens next. Unknown, already used, expired or malformed: null.
 */
export async function redeemTicket(
  env: { DB: D1Database },
  ticket: string | undefined,
  now: number,
): Promise<TicketHolder | null> {
  if (!ticket || !TICKET_SHAPE.test(ticket)) return null
  const row = await env.DB.prepare(
    `DELETE FROM channel_tickets WHERE ticket_hash = ?
     RETURNING user_id, device_id, token_version, session_id, expires_at`,
  )
    .bind(await sha256Hex(ticket))
    .first<{
      user_id: string
      device_id: string | null
      token_version: number | null
      session_id: string | null
      expires_at: number
    }>()
  if (!row || row.expires_at <= now) return null
  if (row.device_id !== null && row.token_version !== null) {
    return {
      kind: 'tv',
      userId: row.user_id,
      deviceId: row.device_id,
      tokenVersion: row.token_version,
    }
  }
  if (row.session_id !== null) {
    return { kind: 'phone', userId: row.user_id, sessionId: row.session_id }
  }
  return null
}

/** Cron: expired tickets open nothing; bounded per call. */
export async function purgeTickets(env: { DB: D1Database }, now: number, max = 1000) {
  const res = await env.DB.prepare(
    `DELETE FROM channel_tickets WHERE rowid IN
       (SELECT rowid FROM channel_tickets WHERE expires_at <= ? LIMIT ?)`,
  )
    .bind(now, max)
    .run()
  return { deleted: res.meta.changes }
}

function sessionOf(principal: Principal & { kind: 'user' }): string {
  // authenticate() always sets it for a user token (tokens without sid are refused).
  if (!principal.sessionId) throw new ApiError('invalid_token', 'This token names no session')
  return principal.sessionId
}

async function deviceIsPaired(env: { DB: D1Database }, deviceId: string) {
  const row = await env.DB.prepare('SELECT 1 FROM devices WHERE id = ? AND revoked_at IS NULL')
    .bind(deviceId)
    .first()
  return row !== null
}

async function secondsUntilATicketExpires(env: { DB: D1Database }, userId: string, now: number) {
  const row = await env.DB.prepare(
    'SELECT min(expires_at) AS soonest FROM channel_tickets WHERE user_id = ? AND expires_at > ?',
  )
    .bind(userId, now)
    .first<{ soonest: number | null }>()
  return Math.max(1, Math.ceil(((row?.soonest ?? now) - now) / 1000))
}
