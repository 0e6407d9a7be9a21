import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { Household } from '../../src/channel/household'
import { call } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'
import { closeAll, join, ticketFor, upgrade } from './helpers'

let ipSeq = 0
async function registered() {
  const phone = `+86136${String(Date.now() % 1e5).padStart(5, '0')}${String(++ipSeq).padStart(3, '0')}`
  const res = await call('POST', '/v1/auth/register', {
    body: { phone, password: 'channel tests password' },
    headers: { 'cf-connecting-ip': `198.51.100.${ipSeq}` },
  })
  if (res.status !== 201) throw new Error(`register: ${res.status} ${res.text}`)
  return res.body as { user: { id: string }; access_token: string; refresh_token: string }
}

async function login(phoneOf: string) {
  const res = await call('POST', '/v1/auth/login', {
    body: { phone: phoneOf, password: 'channel tests password' },
    headers: { 'cf-connecting-ip': `198.51.100.${++ipSeq}` },
  })
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`)
  return res.body as { access_token: string; refresh_token: string }
}

const household = (userId: string) => env.HOUSEHOLD.get(env.HOUSEHOLD.idFromName(userId))

describe('household channel: revocation', () => {
  it('unpairing a TV sends it device.revoked and closes it with 4001 at once', async () => {
    const user = await createTestUser()
    const kept = await createTestDevice(user.id, { name: 'Bedroom' })
    const gone = await createTestDevice(user.id, { name: 'Living room' })
    const tvKept = await join(kept.token)
    const tvGone = await join(gone.token)
    const phone = await join(user.token)
    phone.drain()

    const del = await call('DELETE', `/v1/me/devices/${gone.id}`, { token: user.token })
    expect(del.status).toBe(204)
    expect(await tvGone.next('device.revoked')).toEqual({ type: 'device.revoked' })
    expect(await tvGone.closing()).toEqual({ code: 4001, reason: 'device unpaired' })
    // The phone's presence no longer lists it; the other TV stays connected and relayed to.
    const presence = await phone.next('presence')
    expect(presence.devices).toEqual([{ id: kept.id, name: 'Bedroom', online: true }])
    phone.send({ type: 'input.key', key: 'ok', to: gone.id })
    expect(await phone.next('error')).toMatchObject({ code: 'unknown_target' })
    phone.send({ type: 'input.key', key: 'ok' })
    expect(await tvKept.next('input.key')).toEqual({ type: 'input.key', key: 'ok' })
    expect(tvKept.closed).toBeNull()
    await closeAll(tvKept, phone)
  })

  it('logout closes that session’s sockets (4001); other sessions and the TVs stay', async () => {
    const account = await registered()
    const phoneNumber = (await call('GET', '/v1/me', { token: account.access_token })).body.phone
    const other = await login(phoneNumber)
    const device = await createTestDevice(account.user.id)
    const tv = await join(device.token)
    const phone = await join(account.access_token)
    const otherPhone = await join(other.access_token)

    const out = await call('POST', '/v1/auth/logout', {
      body: { refresh_token: account.refresh_token },
    })
    expect(out.status).toBe(204)
    expect(await phone.closing()).toEqual({ code: 4001, reason: 'session ended' })
    otherPhone.send({ type: 'input.key', key: 'home' })
    expect(await tv.next('input.key')).toEqual({ type: 'input.key', key: 'home' })
    expect(otherPhone.closed).toBeNull()
    await closeAll(tv, otherPhone)
  })

  it('a reused refresh token ends its session: the sockets close (4001)', async () => {
    const account = await registered()
    const phone = await join(account.access_token)
    const rotated = await call('POST', '/v1/auth/refresh', {
      body: { refresh_token: account.refresh_token },
    })
    expect(rotated.status).toBe(200)
    expect(phone.closed).toBeNull()
    const reuse = await call('POST', '/v1/auth/refresh', {
      body: { refresh_token: account.refresh_token },
    })
    expect(reuse.status).toBe(401)
    expect((await phone.closing()).code).toBe(4001)
  })

  it('a revocation landing between the credential check and the accept still refuses', async () => {
    const user = await createTestUser()
    const device = await createTestDevice(user.id)
    const ticket = await ticketFor(device.token)
    // The revoke reaches the object before the socket does, while D1 still says "paired": as if
    // the connect's check ran just before the unpairing committed.
    await household(user.id).revokeDevice(device.id)
    expect((await upgrade(ticket)).status).toBe(401)
    // A device never revoked in this household is unaffected.
    const other = await createTestDevice(user.id)
    const tv = await join(other.token)
    await closeAll(tv)
  })
})

describe('household channel: hibernation', () => {
  it('each socket carries its tags and attachment; a fresh instance relays with nothing else', async () => {
    const user = await createTestUser()
    const device = await createTestDevice(user.id, { name: 'Kitchen' })
    const tv = await join(device.token)
    const phone = await join(user.token)
    tv.drain()

    await runInDurableObject(household(user.id), async (_instance: Household, state) => {
      const [tvSocket] = state.getWebSockets(`device:${device.id}`)
      expect(state.getTags(tvSocket)).toEqual(['tv', `device:${device.id}`])
      expect(tvSocket.deserializeAttachment()).toEqual({ kind: 'tv', deviceId: device.id })
      const [phoneSocket] = state.getWebSockets('phone')
      expect(state.getTags(phoneSocket)).toEqual(['phone', `session:${user.sessionId}`])
      expect(phoneSocket.deserializeAttachment()).toEqual({
        kind: 'phone',
        sessionId: user.sessionId,
      })
      // What a wake-up from hibernation builds: a new instance over the same sockets.
      const woken = new Household(state, env)
      await woken.webSocketMessage(
        phoneSocket,
        JSON.stringify({ type: 'input.text', text: '冰箱' }),
      )
    })
    expect(await tv.next('input.text')).toEqual({ type: 'input.text', text: '冰箱' })
    await closeAll(tv, phone)
  })
})
