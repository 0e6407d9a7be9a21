import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { authMaintenance } from '../../src/auth/maintenance'
import { cronTasks } from '../../src/cron'
import { rateLimitAll } from '../../src/http/rate-limit'
import { call } from '../helpers/http'
import { activate, expectOAuthError, poll, register, startPairing } from './helpers'

describe('auth maintenance (cron)', () => {
  it('is registered with the scheduled handler', () => {
    expect(cronTasks.map((t) => t.name)).toContain('auth.maintenance')
  })

  it('expires stale pairings, unpairs approved-but-uncollected devices, and is idempotent', async () => {
    const u = await register()
    const waiting = await startPairing()
    const uncollected = await startPairing()
    const approved = await activate(u.access_token, uncollected.user_code)
    const later = Date.now() + 11 * 60 * 1000

    // Within their 10 minutes nothing is touched.
    await authMaintenance(env, Date.now())
    const status = await env.DB.prepare(
      'SELECT status FROM device_authorizations WHERE user_code = ?',
    )
      .bind(waiting.user_code.replace('-', ''))
      .first('status')
    expect(status).toBe('pending')

    const first = await authMaintenance(env, later)
    expect(first.pairings_expired).toBeGreaterThanOrEqual(2)
    expect(first.devices_unpaired).toBeGreaterThanOrEqual(1)
    const device = await env.DB.prepare('SELECT revoked_at FROM devices WHERE id = ?')
      .bind(approved.body.device.id)
      .first('revoked_at')
    expect(device).toBe(later)
    const list = await call('GET', '/v1/me/devices', { token: u.access_token })
    expect(list.body.items).toEqual([])

    // Once expired by cron, the code is terminal for the TV.
    expectOAuthError(await poll(waiting.device_code), 400, 'invalid_grant')
    expectOAuthError(await poll(uncollected.device_code), 400, 'invalid_grant')

    const second = await authMaintenance(env, later)
    expect(second).toMatchObject({ pairings_expired: 0, devices_unpaired: 0 })
  })

  it('never unpairs a device that collected its tokens', async () => {
    const u = await register()
    const started = await startPairing()
    const approved = await activate(u.access_token, started.user_code)
    const tokens = await poll(started.device_code)
    expect(tokens.status).toBe(200)
    await authMaintenance(env, Date.now() + 11 * 60 * 1000)
    const me = await call('GET', '/v1/me', { token: tokens.body.access_token })
    expect(me.body.device.id).toBe(approved.body.device.id)
  })

  it('deletes finished pairings after a day, dead refresh tokens and closed rate-limit windows', async () => {
    const u = await register()
    const started = await startPairing()
    await activate(u.access_token, started.user_code, false)
    await rateLimitAll(env, [{ policy: 'maint:test', subject: 'x', limit: 5, windowSeconds: 60 }])
    await env.DB.prepare('UPDATE refresh_tokens SET expires_at = ? WHERE user_id = ?')
      .bind(Date.now() - 1, u.user.id)
      .run()
    const dayLater = Date.now() + 26 * 3600 * 1000
    const result = await authMaintenance(env, dayLater)
    expect(result.pairings_deleted).toBeGreaterThanOrEqual(1)
    expect(result.refresh_tokens_deleted).toBeGreaterThanOrEqual(1)
    expect(result.rate_limit_windows_deleted).toBeGreaterThanOrEqual(1)
    const left = await env.DB.batch([
      env.DB.prepare('SELECT COUNT(*) AS n FROM device_authorizations WHERE user_code = ?').bind(
        started.user_code.replace('-', ''),
      ),
      env.DB.prepare('SELECT COUNT(*) AS n FROM refresh_tokens WHERE user_id = ?').bind(u.user.id),
      env.DB.prepare("SELECT COUNT(*) AS n FROM rate_limits WHERE key = 'maint:test:x'"),
    ])
    expect(left.map((r) => (r.results[0] as { n: number }).n)).toEqual([0, 0, 0])
  })
})
