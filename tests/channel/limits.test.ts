import { describe, expect, it } from 'vitest'
import { MAX_FRAME_BYTES, RATE_FRAMES } from '../../src/channel/protocol'
import { createTestDevice, createTestUser } from '../helpers/principals'
import { closeAll, join } from './helpers'

async function home() {
  const user = await createTestUser()
  const device = await createTestDevice(user.id)
  const tv = await join(device.token)
  const phone = await join(user.token)
  tv.drain()
  return { user, device, tv, phone }
}

/** An input.text frame of exactly `bytes` UTF-8 bytes (3-byte characters, padded in `pad`). */
function frameOf(bytes: number) {
  const base = JSON.stringify({ type: 'input.text', text: '电视'.repeat(100), pad: '' })
  return base.replace(
    '"pad":""',
    `"pad":"${'x'.repeat(bytes - new TextEncoder().encode(base).length)}"`,
  )
}

describe('household channel: bad input', () => {
  it(`a ${MAX_FRAME_BYTES}-byte frame is relayed; one byte more closes with 1009`, async () => {
    const { tv, phone } = await home()
    const exact = frameOf(MAX_FRAME_BYTES)
    expect(new TextEncoder().encode(exact).length).toBe(MAX_FRAME_BYTES)
    phone.send(exact)
    expect(await tv.next('input.text')).toEqual({ type: 'input.text', text: '电视'.repeat(100) })

    phone.send(frameOf(MAX_FRAME_BYTES + 1))
    expect((await phone.closing()).code).toBe(1009)
    expect(await tv.queued(['input.text'])).toEqual([])
    await closeAll(tv)
  })

  it('unparsable, binary, unknown, malformed: an error frame each, nothing relayed', async () => {
    const { tv, phone } = await home()
    const cases: Array<[unknown, string]> = [
      ['not json', 'invalid_json'],
      ['[1,2]', 'invalid_json'],
      ['"input.text"', 'invalid_json'],
      [{ type: 'chat', text: 'hi' }, 'unknown_type'],
      [{ text: 'no type' }, 'unknown_type'],
      [{ type: 'presence', devices: [] }, 'unknown_type'],
      [{ type: 'input.key', key: 'jump' }, 'invalid_message'],
      [{ type: 'input.text', text: 42 }, 'invalid_message'],
      [{ type: 'input.text', text: 'x'.repeat(1001) }, 'invalid_message'],
      [{ type: 'show', kind: 'product', id: 'deal_01jz3k4m5n6p7q8r9s0t1v2w3x' }, 'invalid_message'],
      [{ type: 'show', kind: 'order', id: 'ord_01jz3k4m5n6p7q8r9s0t1v2w3x' }, 'invalid_message'],
      [{ type: 'input.key', key: 'ok', to: 'usr_01jz3k4m5n6p7q8r9s0t1v2w3x' }, 'invalid_message'],
    ]
    for (const [frame, code] of cases) {
      phone.send(frame)
      expect(await phone.next('error'), JSON.stringify(frame)).toMatchObject({
        type: 'error',
        code,
      })
    }
    phone.ws.send(new Uint8Array([123, 125]))
    expect(await phone.next('error')).toMatchObject({ code: 'invalid_json' })
    expect(await tv.queued(['input.text', 'input.key', 'show', 'chat', 'presence'])).toEqual([])
    // Still open and still relaying: a bad frame is refused, not fatal.
    phone.send({ type: 'input.key', key: 'back' })
    expect(await tv.next('input.key')).toEqual({ type: 'input.key', key: 'back' })
    await closeAll(tv, phone)
  })

  it('a TV may not send input.* or show: forbidden, never relayed', async () => {
    const user = await createTestUser()
    const a = await createTestDevice(user.id)
    const b = await createTestDevice(user.id)
    const tvA = await join(a.token)
    const tvB = await join(b.token)
    const phone = await join(user.token)
    for (const frame of [
      { type: 'input.text', text: 'hi' },
      { type: 'input.key', key: 'ok', to: b.id },
      { type: 'show', kind: 'deal', id: 'deal_01jz3k4m5n6p7q8r9s0t1v2w3x' },
    ]) {
      tvA.send(frame)
      expect(await tvA.next('error')).toMatchObject({ code: 'forbidden' })
    }
    expect(await tvB.queued(['input.text', 'input.key', 'show'])).toEqual([])
    expect(await phone.queued(['input.text', 'input.key', 'show'])).toEqual([])
    await closeAll(tvA, tvB, phone)
  })

  it(`${RATE_FRAMES} frames in a burst pass; one more within the second closes with 1008`, async () => {
    const { user, tv, phone } = await home()
    const sent = Array.from({ length: RATE_FRAMES }, (_, i) => `q${i}`)
    for (const text of sent) phone.send({ type: 'input.text', text })
    const got: string[] = []
    for (const _ of sent) got.push((await tv.next('input.text')).text)
    // As a set: the pool's Durable Object wrapper (vitest-pool-workers 0.15) awaits before each
    // handler and can reorder a burst; workerd itself delivers in order (docs/channel.md).
    expect(got.sort()).toEqual([...sent].sort())
    phone.send({ type: 'input.text', text: 'one too many' })
    const closed = await phone.closing()
    expect(closed.code).toBe(1008)
    expect(await tv.queued(['input.text'])).toEqual([])

    // The household lives on: the same phone reconnects and is relayed again.
    const again = await join(user.token)
    again.send({ type: 'input.key', key: 'home' })
    expect(await tv.next('input.key')).toEqual({ type: 'input.key', key: 'home' })
    await closeAll(tv, again)
  })

  it('a steady 20 a second is within the limit', async () => {
    const { tv, phone } = await home()
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < RATE_FRAMES; i++) phone.send({ type: 'input.key', key: 'right' })
      for (let i = 0; i < RATE_FRAMES; i++) await tv.next('input.key')
      await new Promise((r) => setTimeout(r, 1050))
    }
    phone.send({ type: 'input.key', key: 'left' })
    expect(await tv.next('input.key')).toEqual({ type: 'input.key', key: 'left' })
    expect(phone.closed).toBeNull()
    await closeAll(tv, phone)
  })

  it('ping is answered pong by the runtime', async () => {
    const { tv, phone } = await home()
    phone.send('{"type":"ping"}')
    expect(await phone.next('pong')).toEqual({ type: 'pong' })
    await closeAll(tv, phone)
  })
})
