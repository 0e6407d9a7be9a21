import { describe, expect, it } from 'vitest'
import { createTestDevice, createTestUser } from '../helpers/principals'
import { closeAll, join } from './helpers'

const RELAYED = ['input.text', 'input.key', 'show']

async function home(name: string) {
  const user = await createTestUser()
  const device = await createTestDevice(user.id, { name })
  const tv = await join(device.token)
  const phone = await join(user.token)
  return { user, device, tv, phone }
}

describe('household channel: no message reaches another household', () => {
  it('broadcasts, targeted frames and presence stay inside the household', async () => {
    const a = await home('A')
    const b = await home('B')
    for (const p of [a.tv, a.phone, b.tv, b.phone]) p.drain()

    a.phone.send({ type: 'input.text', text: 'only for A' })
    expect(await a.tv.next('input.text')).toEqual({ type: 'input.text', text: 'only for A' })
    // Naming B's TV from A's phone is an unknown target, not a delivery.
    a.phone.send({ type: 'input.key', key: 'ok', to: b.device.id })
    expect(await a.phone.next('error')).toMatchObject({ code: 'unknown_target' })
    a.phone.send({
      type: 'show',
      kind: 'bill',
      id: 'bill_01jz3k4m5n6p7q8r9s0t1v2w3x',
      to: b.device.id,
    })
    expect(await a.phone.next('error')).toMatchObject({ code: 'unknown_target' })
    expect(await b.tv.queued(RELAYED)).toEqual([])

    // B's joins and leaves are B's presence only.
    const bTv2 = await join((await createTestDevice(b.user.id, { name: 'B2' })).token)
    const seenByB = await b.phone.next('presence', (f) => f.devices.length === 2)
    expect(seenByB.devices.map((d: { name: string }) => d.name).sort()).toEqual(['B', 'B2'])
    expect(await a.phone.queued(['presence'])).toEqual([])
    expect(await a.tv.queued(['presence'])).toEqual([])

    b.phone.send({ type: 'input.key', key: 'back' })
    expect(await b.tv.next('input.key')).toEqual({ type: 'input.key', key: 'back' })
    expect(await bTv2.next('input.key')).toEqual({ type: 'input.key', key: 'back' })
    expect(await a.tv.queued(RELAYED)).toEqual([])
    await closeAll(a.tv, a.phone, b.tv, b.phone, bTv2)
  })
})
