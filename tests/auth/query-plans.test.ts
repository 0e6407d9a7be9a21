import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { LIVE_SESSION_SQL } from '../../src/auth/refresh'

/** Every hot auth query must use an index (no full scans as tables grow). */
const QUERIES: Array<[string, string, unknown[], string]> = [
  [
    'refresh by hash',
    'SELECT r.id FROM refresh_tokens r LEFT JOIN devices d ON d.id = r.device_id WHERE r.token_hash = ?',
    ['h'],
    'refresh_tokens_hash_unique',
  ],
  [
    'revoke family',
    'UPDATE refresh_tokens SET revoked_at = 1 WHERE family_id = ? AND revoked_at IS NULL',
    ['f'],
    'refresh_tokens_family_revoked_idx',
  ],
  [
    'logout',
    'UPDATE refresh_tokens SET revoked_at = 1 WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = ?) AND revoked_at IS NULL',
    ['h'],
    'refresh_tokens_family_revoked_idx',
  ],
  ['user session per request', LIVE_SESSION_SQL, ['f'], 'refresh_tokens_family_revoked_idx'],
  [
    'revoke device tokens',
    'UPDATE refresh_tokens SET revoked_at = 1 WHERE device_id = ? AND revoked_at IS NULL',
    ['d'],
    'refresh_tokens_device_idx',
  ],
  [
    'purge refresh',
    'SELECT rowid FROM refresh_tokens WHERE expires_at <= ? LIMIT 10',
    [1],
    'refresh_tokens_expiry_idx',
  ],
  [
    'pending user code',
    "SELECT id FROM device_authorizations WHERE user_code = ? AND status = 'pending'",
    ['BCDFGHJK'],
    'device_authorizations_pending_user_code',
  ],
  [
    'device code',
    'SELECT id FROM device_authorizations WHERE device_code_hash = ?',
    ['h'],
    'device_authorizations_code_hash_unique',
  ],
  [
    'cron expire',
    "SELECT id FROM device_authorizations WHERE status IN ('pending', 'approved', 'denied') AND expires_at <= ? LIMIT 10",
    [1],
    'device_authorizations_',
  ],
  [
    'cron delete',
    "SELECT id FROM device_authorizations WHERE status IN ('consumed', 'expired') AND expires_at <= ? LIMIT 10",
    [1],
    'device_authorizations_expiry_idx',
  ],
  [
    'rate limit upsert',
    'SELECT count FROM rate_limits WHERE key = ? AND window_start = ?',
    ['k', 1],
    'sqlite_autoindex_rate_limits_1',
  ],
  [
    'rate limit purge',
    'SELECT rowid FROM rate_limits WHERE expires_at <= ? LIMIT 10',
    [1],
    'rate_limits_expiry_idx',
  ],
  ['login', 'SELECT id FROM users WHERE phone = ?', ['+86'], 'users_phone_unique'],
  [
    'device per request',
    'SELECT token_version, revoked_at FROM devices WHERE id = ?',
    ['dev'],
    'sqlite_autoindex_devices_1',
  ],
]

describe('auth query plans', () => {
  for (const [name, sql, params, index] of QUERIES) {
    it(`${name} uses ${index}`, async () => {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>()
      const details = plan.results.map((r) => r.detail).join(' | ')
      expect(details).toContain(index)
      expect(details).not.toMatch(
        /SCAN (refresh_tokens|device_authorizations|rate_limits|users|devices)\b(?! USING)/,
      )
    })
  }

  it('the per-request session check is two seeks, whatever the family size', async () => {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${LIVE_SESSION_SQL}`)
      .bind('f')
      .all<{ detail: string }>()
    const details = plan.results.map((r) => r.detail)
    // The live row: family and revoked_at IS NULL pinned; the revoked row: a range, index only.
    const idx = 'refresh_tokens_family_revoked_idx'
    expect(details).toContainEqual(
      `SEARCH refresh_tokens USING INDEX ${idx} (family_id=? AND revoked_at=?)`,
    )
    expect(details).toContainEqual(
      `SEARCH refresh_tokens USING COVERING INDEX ${idx} (family_id=? AND revoked_at>?)`,
    )
  })
})
