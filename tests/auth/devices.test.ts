import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { listDevices } from '../../src/auth/devices'
import { encodeCursor } from '../../src/lib/pagination'
import { plansOf } from '../helpers/plans'
import { call, expectProblem } from '../helpers/http'
import { createTestDevice } from '../helpers/principals'
import {
  activate,
  expectOAuthError,
  pairDevice,
  poll,
  postForm,
  register,
  startPairing,
} from './helpers'

describe('GET /v1/me/devices', () => {
  it('lists the user’s paired devices newest first, with keyset pages', async () => {
    const u = await register()
    const paired = []
    for (const name of ['One', 'Two', 'Three'])
      paired.push(await pairDevice(u.access_token, 'haier-tv', name))
    const page1 = await call('GET', '/v1/me/devices?limit=2', { token: u.access_token })
    expect(page1.status).toBe(200)
    expect(page1.body.items.map((d: { name: string }) => d.name)).toEqual(['Three', 'Two'])
    expect(page1.body.items[0]).toEqual({
      id: paired[2].deviceId,
      name: 'Three',
      client_id: 'haier-tv',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      last_seen_at: expect.stringMatching(/Z$/),
    })
    expect(page1.body.next_cursor).toEqual(expect.any(String))
    const page2 = await call('GET', `/v1/me/devices?limit=2&cursor=${page1.body.next_cursor}`, {
      token: u.access_token,
    })
    expect(page2.body.items.map((d: { name: string }) => d.name)).toEqual(['One'])
    expect(page2.body.next_cursor).toBeNull()
  })

  it('orders devices created in the same millisecond by id, without skipping any across pages', async () => {
    const u = await register()
    const now = Date.now()
    const ids = ['dev_a1', 'dev_a2', 'dev_a3', 'dev_a4', 'dev_a5'].map((id) => `${id}_${u.user.id}`)
    for (const id of ids) {
      await env.DB.prepare(
        'INSERT INTO devices (id, user_id, client_id, name, created_at) VALUES (?, ?, ?, ?, ?)',
      )
        .bind(id, u.user.id, 'skyworth-tv', id, now)
        .run()
    }
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await listDevices(env, u.user.id, { limit: 2, cursor })
      seen.push(...page.items.map((d) => d.id))
      cursor = page.next_cursor ?? undefined
    } while (cursor)
    expect(seen).toEqual([...ids].reverse())
  })

  it('shows only the caller’s devices; bad cursors and limits are 400', async () => {
    const a = await register()
    const b = await register()
    await pairDevice(b.access_token)
    const list = await call('GET', '/v1/me/devices', { token: a.access_token })
    expect(list.body).toEqual({ items: [], next_cursor: null })
    expectProblem(
      await call('GET', '/v1/me/devices?cursor=!!!', { token: a.access_token }),
      400,
      'invalid_cursor',
    )
    expectProblem(
      await call('GET', '/v1/me/devices?cursor=eyJ4IjoxfQ', { token: a.access_token }),
      400,
      'invalid_cursor',
    )
    expectProblem(
      await call('GET', '/v1/me/devices?limit=0', { token: a.access_token }),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('GET', '/v1/me/devices?limit=51', { token: a.access_token }),
      400,
      'validation_failed',
    )
  })

  it('reads every page through the list index, in its order', async () => {
    const later = encodeCursor([1, 'x'])
    for (const cursor of [undefined, later]) {
      const plans = await plansOf((e) => listDevices(e, 'usr_x', { limit: 20, cursor }))
      expect(plans).toHaveLength(1)
      expect(plans[0]).toContain('devices_user_list_idx')
      expect(plans[0]).not.toContain('TEMP B-TREE')
    }
  })
})

describe('DELETE /v1/me/devices/{id}', () => {
  it('unpairs at once: the device’s unexpired access token is 401 on its next request', async () => {
    const u = await register()
    const tv = await pairDevice(u.access_token)
    expect((await call('GET', '/v1/me', { token: tv.access_token })).status).toBe(200)
    const res = await call('DELETE', `/v1/me/devices/${tv.deviceId}`, { token: u.access_token })
    expect(res.status).toBe(204)
    const after = await call('GET', '/v1/me', { token: tv.access_token })
    expectProblem(after, 401, 'invalid_token')
    expect(after.headers.get('www-authenticate')).toContain('invalid_token')
    // Its refresh token is dead too, and it is gone from the list.
    expectOAuthError(
      await postForm('/v1/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tv.refresh_token,
      }),
      400,
      'invalid_grant',
    )
    const list = await call('GET', '/v1/me/devices', { token: u.access_token })
    expect(list.body.items.map((d: { id: string }) => d.id)).not.toContain(tv.deviceId)
    // A second delete finds nothing to unpair.
    expectProblem(
      await call('DELETE', `/v1/me/devices/${tv.deviceId}`, { token: u.access_token }),
      404,
      'not_found',
    )
  })

  it('leaves the user’s other devices paired', async () => {
    const u = await register()
    const keep = await pairDevice(u.access_token)
    const drop = await pairDevice(u.access_token)
    await call('DELETE', `/v1/me/devices/${drop.deviceId}`, { token: u.access_token })
    expect((await call('GET', '/v1/me', { token: keep.access_token })).status).toBe(200)
    expect(
      (
        await postForm('/v1/oauth/token', {
          grant_type: 'refresh_token',
          refresh_token: keep.refresh_token,
        })
      ).status,
    ).toBe(200)
  })

  it('someone else’s device is 404 and stays paired', async () => {
    const owner = await register()
    const stranger = await register()
    const tv = await pairDevice(owner.access_token)
    expectProblem(
      await call('DELETE', `/v1/me/devices/${tv.deviceId}`, { token: stranger.access_token }),
      404,
      'not_found',
    )
    expect((await call('GET', '/v1/me', { token: tv.access_token })).status).toBe(200)
    expect(
      (
        await postForm('/v1/oauth/token', {
          grant_type: 'refresh_token',
          refresh_token: tv.refresh_token,
        })
      ).status,
    ).toBe(200)
  })

  it('works for devices made by the test helper too (token_version check)', async () => {
    const u = await register()
    const tv = await createTestDevice(u.user.id)
    expect((await call('GET', '/v1/me', { token: tv.token })).status).toBe(200)
    expect(
      (await call('DELETE', `/v1/me/devices/${tv.id}`, { token: u.access_token })).status,
    ).toBe(204)
    expectProblem(await call('GET', '/v1/me', { token: tv.token }), 401, 'invalid_token')
    const row = await env.DB.prepare('SELECT token_version FROM devices WHERE id = ?')
      .bind(tv.id)
      .first('token_version')
    expect(row).toBe(2)
  })

  it('a device that was unpaired before collecting its token gets invalid_grant', async () => {
    const u = await register()
    const started = await startPairing()
    const approved = await activate(u.access_token, started.user_code)
    expect(
      (await call('DELETE', `/v1/me/devices/${approved.body.device.id}`, { token: u.access_token }))
        .status,
    ).toBe(204)
    expectOAuthError(await poll(started.device_code), 400, 'invalid_grant')
  })
})
