import { describe, expect, it } from 'vitest'
import { call } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'
import { closeAll, join } from './helpers'

async function household(tvs = 1) {
  const user = await createTestUser()
  const devices = []
  for (let i = 0; i < tvs; i++) {
    devices.push(await createTestDevice(user.id, { name: `TV ${i + 1}` }))
  }
  return { user, devices }
}

describe('household channel: phone to TV', () => {
  it('relays input.text, input.key and show from the phone to every TV', async () => {
    const { user, devices } = await household(2)
    const tv1 = await join(devices[0].token)
    const tv2 = await join(devices[1].token)
    const phone = await join(user.token)

    phone.send({ type: 'input.text', text: '小米电视' })
    for (const tv of [tv1, tv2]) {
      expect(await tv.next('input.text')).toEqual({ type: 'input.text', text: '小米电视' })
    }
    phone.send({ type: 'input.key', key: 'ok' })
    expect(await tv1.next('input.key')).toEqual({ type: 'input.key', key: 'ok' })
    expect(await tv2.next('input.key')).toEqual({ type: 'input.key', key: 'ok' })
    phone.send({ type: 'show', kind: 'product', id: 'prod_01jz3k4m5n6p7q8r9s0t1v2w3x' })
    expect(await tv2.next('show')).toEqual({
      type: 'show',
      kind: 'product',
      id: 'prod_01jz3k4m5n6p7q8r9s0t1v2w3x',
    })
    // Nothing comes back to the sender, and no error was raised.
    expect(await phone.queued(['input.text', 'input.key', 'show', 'error'])).toEqual([])
    await closeAll(tv1, tv2, phone)
  })

  it('`to` reaches only that TV; an offline or unknown one is an error frame', async () => {
    const { user, devices } = await household(3)
    const tv1 = await join(devices[0].token)
    const tv2 = await join(devices[1].token)
    const phone = await join(user.token)

    phone.send({ type: 'input.key', key: 'down', to: devices[1].id })
    expect(await tv2.next('input.key')).toEqual({ type: 'input.key', key: 'down' })
    expect(await tv1.queued(['input.key'])).toEqual([])

    phone.send({ type: 'input.key', key: 'up', to: devices[2].id })
    expect(await phone.next('error')).toMatchObject({ code: 'target_offline' })
    phone.send({ type: 'input.key', key: 'up', to: 'dev_01jz3k4m5n6p7q8r9s0t1v2w3x' })
    expect(await phone.next('error')).toMatchObject({ code: 'unknown_target' })
    expect(await tv1.queued(['input.key'])).toEqual([])
    await closeAll(tv1, tv2, phone)
  })

  it('presence: the paired devices and who is online, on every join and leave', async () => {
    const { user, devices } = await household(2)
    const phone = await join(user.token)
    const tv1 = await join(devices[0].token)
    const onJoin = await phone.next('presence')
    const byId = (f: { devices: { id: string; online: boolean; name: string }[] }) =>
      Object.fromEntries(f.devices.map((d) => [d.id, d]))
    expect(byId(onJoin as never)).toEqual({
      [devices[0].id]: { id: devices[0].id, name: 'TV 1', online: true },
      [devices[1].id]: { id: devices[1].id, name: 'TV 2', online: false },
    })
    tv1.close()
    const onLeave = await phone.next('presence', (f) => !f.devices.some((d: any) => d.online))
    expect(onLeave.devices).toHaveLength(2)
    await closeAll(phone, tv1)
  })

  it('a TV paired through the device flow (RFC 8628) joins and is typed to at once', async () => {
    const user = await createTestUser()
    const phone = await join(user.token)
    const started = await call('POST', '/v1/oauth/device_authorization', {
      body: { client_id: 'skyworth-tv', device_name: 'Fresh TV' },
      headers: { 'cf-connecting-ip': '192.0.2.77' },
    })
    expect(started.status, started.text).toBe(200)
    const approved = await call('POST', '/v1/devices/activate', {
      token: user.token,
      body: { user_code: started.body.user_code, approve: true },
    })
    expect(approved.status, approved.text).toBe(200)
    const tokens = await call('POST', '/v1/oauth/token', {
      body: {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: started.body.device_code,
        client_id: 'skyworth-tv',
      },
    })
    expect(tokens.status, tokens.text).toBe(200)
    const tv = await join(tokens.body.access_token)
    const seen = await phone.next('presence', (f) => f.devices.some((d: any) => d.online))
    expect(seen.devices).toEqual([{ id: approved.body.device.id, name: 'Fresh TV', online: true }])
    phone.send({ type: 'input.text', text: 'meidi' })
    expect(await tv.next('input.text')).toEqual({ type: 'input.text', text: 'meidi' })
    await closeAll(phone, tv)
  })
})
