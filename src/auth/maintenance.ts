import { purgeRateLimits } from '../http/rate-limit'
import { purgeRefreshTokens } from './refresh'

const DAY = 24 * 3600 * 1000
const BATCH = 500

/**
 * Cron: closes pairings that ran out of time (unpairing devices approved but never collected),
 * deletes finished pairings after a day, expired refresh tokens and closed rate-limit windows.
 * Every step is a bounded, idempotent statement, so a missed or repeated tick is harmless.
 */
export async function authMaintenance(env: { DB: D1Database }, now: number) {
  const [expired, unpaired, deleted] = await env.DB.batch([
    env.DB.prepare(
      `UPDATE device_authorizations SET status = 'expired'
       WHERE id IN (SELECT id FROM device_authorizations
                    WHERE status IN ('pending', 'approved', 'denied') AND expires_at <= ? LIMIT ?)`,
    ).bind(now, BATCH),
    env.DB.prepare(
      `UPDATE devices SET revoked_at = ?, token_version = token_version + 1
       WHERE revoked_at IS NULL
         AND id IN (SELECT device_id FROM device_authorizations
                    WHERE status = 'expired' AND device_id IS NOT NULL AND expires_at > ?)
         AND NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE device_id = devices.id)`,
    ).bind(now, now - DAY),
    env.DB.prepare(
      `DELETE FROM device_authorizations WHERE id IN (SELECT id FROM device_authorizations
         WHERE status IN ('consumed', 'expired') AND expires_at <= ? LIMIT ?)`,
    ).bind(now - DAY, BATCH),
  ])
  return {
    pairings_expired: expired.meta.changes,
    devices_unpaired: unpaired.meta.changes,
    pairings_deleted: deleted.meta.changes,
    refresh_tokens_deleted: await purgeRefreshTokens(env, now),
    rate_limit_windows_deleted: await purgeRateLimits(env, now),
  }
}
