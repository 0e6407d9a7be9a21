import { z } from '@hono/zod-openapi'

/**
 * The household channel's wire format (docs/channel.md): JSON text frames `{ type, ... }`.
 * Everything here is plain functions over strings, so the Durable Object stays a thin router.
 */

export const MAX_FRAME_BYTES = 4096
/** More than RATE_FRAMES frames within RATE_WINDOW_MS closes the socket with 1008. */
export const RATE_FRAMES = 20
export const RATE_WINDOW_MS = 1000

export const CLOSE_POLICY = 1008
export const CLOSE_TOO_BIG = 1009
/** The device was unpaired or the phone's session ended: its credentials no longer hold. */
export const CLOSE_REVOKED = 4001

/** Answered by the runtime itself, without waking the object (keep-alive for idle clients). */
export const PING_FRAME = '{"type":"ping"}'
export const PONG_FRAME = '{"type":"pong"}'

/** How the Worker hands the redeemed ticket's holder to the household object (internal only). */
export const HOLDER_HEADER = 'x-channel-holder'

export type PaymentEvent = 'payment.requested' | 'payment.updated'

export const KEYS = ['up', 'down', 'left', 'right', 'ok', 'back', 'home'] as const

/** What `show` may open, and the id prefix each kind's ids carry (src/lib/ids.ts). */
const SHOW_PREFIX = { product: 'prod_', deal: 'deal_', bill: 'bill_' } as const

export type ErrorCode =
  | 'invalid_json'
  | 'unknown_type'
  | 'invalid_message'
  | 'forbidden'
  | 'unknown_target'
  | 'target_offline'
  | 'internal_error'

const DeviceId = z.string().regex(/^dev_[0-9a-z]{1,60}$/, 'a device id (dev_…)')
const Target = { to: DeviceId.optional() }
const Id = z.string().regex(/^[a-z]+_[0-9a-z]{1,60}$/)

/** Phone → TV. Unknown members are ignored: only the fields named here are ever relayed. */
const PhoneToTv = z.discriminatedUnion('type', [
  z.object({ type: z.literal('input.text'), text: z.string().max(1000), ...Target }),
  z.object({ type: z.literal('input.key'), key: z.enum(KEYS), ...Target }),
  z.object({
    type: z.literal('show'),
    kind: z.enum(['product', 'deal', 'bill']),
    id: Id,
    ...Target,
  }),
])
const PHONE_TO_TV_TYPES: ReadonlySet<string> = new Set(['input.text', 'input.key', 'show'])

export type RelayedMessage =
  | { type: 'input.text'; text: string }
  | { type: 'input.key'; key: (typeof KEYS)[number] }
  | { type: 'show'; kind: keyof typeof SHOW_PREFIX; id: string }

export type Verdict =
  | { relay: RelayedMessage; to: string | null }
  | { error: ErrorCode; message: string }
  | { close: number; reason: string }

/**
 * Reads one client frame: a message to relay to the household's TVs, an error to answer, or a
 * reason to close. Size first (nothing bigger is parsed), then JSON, then the type, then who may
 * send it, then its fields.
 */
export function readFrame(raw: string | ArrayBuffer, sender: 'phone' | 'tv'): Verdict {
  if (typeof raw !== 'string') {
    if (raw.byteLength > MAX_FRAME_BYTES) return tooBig()
    return { error: 'invalid_json', message: 'Frames are JSON text, not binary' }
  }
  if (utf8Length(raw) > MAX_FRAME_BYTES) return tooBig()
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return { error: 'invalid_json', message: 'The frame is not JSON' }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { error: 'invalid_json', message: 'A frame is a JSON object with a type' }
  }
  const type = (parsed as { type?: unknown }).type
  if (typeof type !== 'string' || !PHONE_TO_TV_TYPES.has(type)) {
    return { error: 'unknown_type', message: 'Unknown message type' }
  }
  if (sender !== 'phone') {
    return { error: 'forbidden', message: `A TV may not send ${type}` }
  }
  const result = PhoneToTv.safeParse(parsed)
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = issue?.path.join('.') || 'message'
    return { error: 'invalid_message', message: `${type}: ${where}: ${issue?.message}` }
  }
  const m = result.data
  const to = m.to ?? null
  if (m.type === 'input.text') return { relay: { type: m.type, text: m.text }, to }
  if (m.type === 'input.key') return { relay: { type: m.type, key: m.key }, to }
  if (!m.id.startsWith(SHOW_PREFIX[m.kind])) {
    const message = `show: id: a ${m.kind} id starts with ${SHOW_PREFIX[m.kind]}`
    return { error: 'invalid_message', message }
  }
  return { relay: { type: m.type, kind: m.kind, id: m.id }, to }
}

function tooBig(): Verdict {
  return { close: CLOSE_TOO_BIG, reason: `frames are limited to ${MAX_FRAME_BYTES} bytes` }
}

/** UTF-8 byte length without encoding when the UTF-16 length already decides it. */
function utf8Length(s: string): number {
  if (s.length > MAX_FRAME_BYTES) return s.length
  if (s.length * 3 <= MAX_FRAME_BYTES) return s.length
  return new TextEncoder().encode(s).byteLength
}

/**
 * A sliding window of the last RATE_FRAMES arrival times (a ring): the frame that arrives less
 * than RATE_WINDOW_MS after the one RATE_FRAMES before it is one too many.
 */
export class FrameRate {
  private readonly times = new Array<number>(RATE_FRAMES).fill(Number.NEGATIVE_INFINITY)
  private next = 0

  /** Records a frame at `now`; false when it is over the limit. */
  admit(now: number): boolean {
    const oldest = this.times[this.next]
    this.times[this.next] = now
    this.next = (this.next + 1) % RATE_FRAMES
    return now - oldest >= RATE_WINDOW_MS
  }
}

export type PresenceDevice = { id: string; name: string; online: boolean }

export function presenceFrame(devices: PresenceDevice[]): string {
  return JSON.stringify({ type: 'presence', devices })
}

export function errorFrame(code: ErrorCode, message: string): string {
  return JSON.stringify({ type: 'error', code, message })
}
