import type { RowOf } from '../db/rows'
import type { devices } from '../db/schema/auth'
import { ApiError } from '../http/errors'
import { keysetClause, keysetPage, newestFirst } from '../lib/pagination'
import { iso } from '../lib/time'

type DeviceRow = Pick<
  RowOf<typeof devices>,
  'id' | 'name' | 'client_id' | 'created_at' | 'last_seen_at'
>

/** The user's paired devices, newest first (devices_user_list_idx). */
export async function listDevices(
  env: { DB: D1Database },
  userId: string,
  page: { limit: number; cursor?: string },
) {
  const keys = keysetClause(newestFirst, page.cursor)
  const { results } = await env.DB.prepare(
    `SELECT id, name, client_id, created_at, last_seen_at FROM devices
     WHERE user_id = ? AND revoked_at IS NULL ${keys.after ? `AND ${keys.after}` : ''}
     ORDER BY ${keys.orderBy} LIMIT ?`,
  )
    .bind(userId, ...keys.params, page.limit + 1)
    .all<DeviceRow>()
  return keysetPage(results, page.limit, deviceView, newestFirst)
}

export function deviceView(d: DeviceRow) {
  return {
    id: d.id,
    name: d.name,
    client_id: d.client_id,
    created_at: iso(d.created_at),
    last_seen_at: d.last_seen_at === null ? null : iso(d.last_seen_at),
  }
}

/**
 * Unpairs a device: bumps token_version (its access tokens fail on the next request, see
 * src/http/auth.ts) and revokes its refresh tokens, in one batch. Another user's device is 404.
 */
export async function revokeDevice(
  env: { DB: D1Database },
  userId: string,
  deviceId: string,
  now = Date.now(),
) {
  const [revoked] = await env.DB.batch([
    env.DB.prepare(
      `UPDATE devices SET revoked_at = ?, token_version = token_version + 1
       WHERE id = ? AND user_id = ? AND revoked_at IS NULL`,
    ).bind(now, deviceId, userId),
    env.DB.prepare(
      `UPDATE refresh_tokens SET revoked_at = ?
       WHERE device_id = ? AND revoked_at IS NULL
         AND EXISTS (SELECT 1 FROM devices WHERE id = ? AND user_id = ?)`,
    ).bind(now, deviceId, deviceId, userId),
  ])
  if (revoked.meta.changes === 0) throw new ApiError('not_found', 'No paired device with that id')
}

export async function deviceSummary(env: { DB: D1Database }, deviceId: string) {
  const d = await env.DB.prepare('SELECT id, name, client_id FROM devices WHERE id = ?')
    .bind(deviceId)
    .first<{ id: string; name: string; client_id: string }>()
  return d
}
