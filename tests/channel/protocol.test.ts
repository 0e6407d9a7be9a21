import { describe, expect, it } from 'vitest'
import {
  FrameRate,
  MAX_FRAME_BYTES,
  RATE_FRAMES,
  RATE_WINDOW_MS,
  readFrame,
} from '../../src/channel/protocol'

describe('channel protocol', () => {
  it('FrameRate: the frame one window after the one RATE_FRAMES before is fine, sooner is not', () => {
    const rate = new FrameRate()
    for (let i = 0; i < RATE_FRAMES; i++) expect(rate.admit(1000 + i)).toBe(true)
    expect(rate.admit(1000 + RATE_WINDOW_MS - 1)).toBe(false)
    const steady = new FrameRate()
    for (let i = 0; i < 5 * RATE_FRAMES; i++) {
      expect(steady.admit((i * RATE_WINDOW_MS) / RATE_FRAMES)).toBe(true)
    }
  })

  it('counts UTF-8 bytes, not characters', () => {
    const frame = (text: string) =>
      JSON.stringify({ type: 'input.text', text: text.slice(0, 1000) })
    const wide = `{"type":"input.text","text":"电","pad":"${'電'.repeat(1353)}"}`
    expect(new TextEncoder().encode(wide).length).toBeGreaterThan(MAX_FRAME_BYTES)
    expect(wide.length).toBeLessThan(MAX_FRAME_BYTES)
    expect(readFrame(wide, 'phone')).toMatchObject({ close: 1009 })
    expect(readFrame(frame('电视'), 'phone')).toEqual({
      relay: { type: 'input.text', text: '电视' },
      to: null,
    })
    expect(readFrame(new ArrayBuffer(MAX_FRAME_BYTES + 1), 'phone')).toMatchObject({ close: 1009 })
  })

  it('relays only the fields it knows', () => {
    const verdict = readFrame(
      JSON.stringify({ type: 'input.key', key: 'ok', to: 'dev_abc', html: '<script>' }),
      'phone',
    )
    expect(verdict).toEqual({ relay: { type: 'input.key', key: 'ok' }, to: 'dev_abc' })
  })
})
