import { LIVE_SESSION_SQL } from '../auth/refresh'
import type { TicketHolder } from './tickets'

/** A paired device of the household, as presence names it. */
export type Member = { id: string; name: string }

/** More paired devices than any home has; presence lists at most this many. */
const MAX_DEVICES = 50

/**
 * Checked when a socket opens, in one D1 batch: is the ticket holder's credential still what
 * authenticate() would accept (the phone's session live, the device paired with the same
 * token_version), and which devices the household has paired now.
 */
export async function admitHolder(
  env: { DB: D1Database },
  holder: TicketHolder,
): Promise<{ live: boolean; devices: Member[] }> {
  const check =
    holder.kind === 'tv'
      ? env.DB.prepare(
          `SELECT 1 AS ok FROM devices
           WHERE id = ? AND user_id = ? AND revoked_at IS NULL AND token_version = ?`,
        ).bind(holder.deviceId, holder.userId, holder.tokenVersion)
      : env.DB.prepare(LIVE_SESSION_SQL).bind(holder.sessionId)
  const [checked, listed] = await env.DB.batch<Record<string, unknown>>([
    check,
    env.DB.prepare(
      `SELECT id, name FROM devices WHERE user_id = ? AND revoked_at IS NULL
       ORDER BY created_at DESC, id DESC LIMIT ${MAX_DEVICES}`,
    ).bind(holder.userId),
  ])
  const row = checked.results[0] as { user_id?: string; device_id?: string | null } | undefined
  const live =
    holder.kind === 'tv'
      ? row !== undefined
      : row !== undefined && row.user_id === holder.userId && row.device_id === null
  return { live, devices: listed.results as Member[] }
}
