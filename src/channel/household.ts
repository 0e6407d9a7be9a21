import { DurableObject } from 'cloudflare:workers'
import { markDelivered, pendingNotifications, toNotificationView } from '../bills/reminders'
import { type Payment, toPaymentView } from '../payments'
import { admitHolder, type Member } from './members'
import {
  CLOSE_POLICY,
  CLOSE_REVOKED,
  errorFrame,
  FrameRate,
  HOLDER_HEADER,
  type PaymentEvent,
  PING_FRAME,
  PONG_FRAME,
  presenceFrame,
  readFrame,
  type RelayedMessage,
} from './protocol'
import type { TicketHolder } from './tickets'

/** What each socket must remember across hibernation (serializeAttachment). */
type Attachment = { kind: 'phone'; sessionId: string } | { kind: 'tv'; deviceId: string }

const PHONES = 'phone'
const TVS = 'tv'
const deviceTag = (id: string) => `device:${id}`
const sessionTag = (id: string) => `session:${id}`
const OPEN = 1
/** How long a revoked device or ended session is refused by this instance after the fact. */
const ENDED_MEMORY_MS = 5 * 60_000
/** Reminders handed to phones per delivery round (the rest on the next connect or cron). */
const NOTIFICATIONS_PER_ROUND = 50
/** Payments whose last pushed version is remembered, so a late push never overtakes a newer one. */
const VERSIONS_KEPT = 200

/**
 * One instance per household (idFromName(userId)): the user's phones and paired TVs, each socket
 * accepted with the hibernation API and tagged `phone` + `session:<sid>` or `tv` +
 * `device:<id>`, so one device or one session is addressed with getWebSockets(tag). Idle sockets
 * cost no duration: everything a socket needs after a wake-up is in its tags and attachment, and
 * the household's device names are in this object's own storage.
 */
export class Household extends DurableObject<Env> {
  /** Frame arrival times per socket; lost on hibernation, which only follows idle seconds. */
  private readonly rates = new WeakMap<WebSocket, FrameRate>()
  /**
   * Tags (device:… / session:…) revoked moments ago. A socket whose credential check passed just
   * before the revocation committed must still not be accepted after it: both the check's end
   * and the revocation run here, one at a time, and this instance stays alive while a connect
   * awaits its check.
   */
  private readonly ended = new Map<string, number>()
  private readonly pushedVersions = new Map<string, number>()
  private delivering: Promise<number> = Promise.resolve(0)

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME))
  }

  /** The upgrade, forwarded by the Worker with the redeemed ticket's holder (push.ts connect). */
  async fetch(request: Request): Promise<Response> {
    const holder = JSON.parse(request.headers.get(HOLDER_HEADER) ?? 'null') as TicketHolder | null
    if (!holder || request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('expected a websocket upgrade from the Worker', { status: 400 })
    }
    const { live, devices } = await admitHolder(this.env, holder)
    const tag = holder.kind === 'tv' ? deviceTag(holder.deviceId) : sessionTag(holder.sessionId)
    if (!live || this.ended.has(tag)) return refused(holder)

    const { 0: client, 1: server } = new WebSocketPair()
    const attachment: Attachment =
      holder.kind === 'tv'
        ? { kind: 'tv', deviceId: holder.deviceId }
        : { kind: 'phone', sessionId: holder.sessionId }
    this.ctx.acceptWebSocket(server, [holder.kind === 'tv' ? TVS : PHONES, tag])
    server.serializeAttachment(attachment)
    this.saveDevices(devices)
    this.broadcastPresence()
    if (holder.kind === 'phone') void this.deliverNotifications(holder.userId)
    return new Response(null, { status: 101, webSocket: client })
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer) {
    try {
      const from = ws.deserializeAttachment() as Attachment | null
      if (!from) return ws.close(CLOSE_POLICY, 'unknown connection')
      let rate = this.rates.get(ws)
      if (!rate) this.rates.set(ws, (rate = new FrameRate()))
      if (!rate.admit(Date.now())) return ws.close(CLOSE_POLICY, 'more than 20 frames a second')
      const verdict = readFrame(message, from.kind)
      if ('close' in verdict) return ws.close(verdict.close, verdict.reason)
      if ('error' in verdict) return ws.send(errorFrame(verdict.error, verdict.message))
      this.relay(ws, verdict.relay, verdict.to)
    } catch (err) {
      // Never let one frame break the object (or the other sockets it holds).
      log('channel_message_failed', err)
      trySend(ws, errorFrame('internal_error', 'The frame could not be handled'))
    }
  }

  async webSocketClose(ws: WebSocket, code: number) {
    // Completes the closing handshake (a no-op where the runtime already answered the close).
    tryClose(ws, code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, 'closed')
    this.left(ws)
  }

  async webSocketError(ws: WebSocket) {
    this.left(ws)
  }

  /**
   * `payment.requested` to the phones, `payment.updated` to the phones and the device that
   * started the payment; the view is the one GET /v1/payments/{id} gives that device (a receipt
   * for it, or for the user when the phone started it). Returns how many sockets got it; signs
   * nothing when nobody is connected.
   */
  async pushPayment(event: PaymentEvent, payment: Payment): Promise<number> {
    const targets = open(this.ctx.getWebSockets(PHONES))
    if (event === 'payment.updated' && payment.startedByDeviceId) {
      targets.push(...open(this.ctx.getWebSockets(deviceTag(payment.startedByDeviceId))))
    }
    if (targets.length === 0) return 0
    if ((this.pushedVersions.get(payment.id) ?? 0) >= payment.version) return 0
    this.rememberVersion(payment.id, payment.version)
    const audience = payment.startedByDeviceId ?? undefined
    const view = await toPaymentView(this.env, payment, Date.now(), audience)
    // A newer version was pushed while this one was being signed: it must not overtake it.
    if (this.pushedVersions.get(payment.id) !== payment.version) return 0
    const frame = JSON.stringify({ type: event, payment: view })
    return open(targets).filter((ws) => trySend(ws, frame)).length
  }

  /** Unpairing: `device.revoked`, then close 4001, and presence without the device. */
  async revokeDevice(deviceId: string): Promise<number> {
    const tag = deviceTag(deviceId)
    this.remember(tag)
    const sockets = this.ctx.getWebSockets(tag)
    for (const ws of sockets) {
      trySend(ws, JSON.stringify({ type: 'device.revoked' }))
      tryClose(ws, CLOSE_REVOKED, 'device unpaired')
    }
    this.saveDevices(this.devices().filter((d) => d.id !== deviceId))
    this.broadcastPresence()
    return sockets.length
  }

  /** Logout (or refresh-token reuse): the session's sockets close with 4001. */
  async endSession(sessionId: string): Promise<number> {
    const tag = sessionTag(sessionId)
    this.remember(tag)
    const sockets = this.ctx.getWebSockets(tag)
    for (const ws of sockets) tryClose(ws, CLOSE_REVOKED, 'session ended')
    if (sockets.length > 0) this.broadcastPresence()
    return sockets.length
  }

  /**
   * Hands the household's pending bill reminders to every open phone socket and marks those
   * delivered; with no phone connected they stay in the outbox for the next one. Rounds run one
   * after another, so two triggers (a phone connecting, the cron) never send a reminder twice.
   */
  async deliverNotifications(userId: string): Promise<number> {
    const round = this.delivering.then(() => this.deliverRound(userId))
    this.delivering = round.catch((err) => {
      log('channel_notifications_failed', err)
      return 0
    })
    return round
  }

  private async deliverRound(userId: string): Promise<number> {
    if (open(this.ctx.getWebSockets(PHONES)).length === 0) return 0
    const pending = await pendingNotifications(this.env.DB, userId, NOTIFICATIONS_PER_ROUND)
    if (pending.length === 0) return 0
    const taken: string[] = []
    for (const row of pending) {
      const frame = JSON.stringify({ type: 'notification', notification: toNotificationView(row) })
      // Read the phones again for each: one may have left while D1 answered.
      const sent = open(this.ctx.getWebSockets(PHONES)).filter((ws) => trySend(ws, frame))
      if (sent.length > 0) taken.push(row.id)
    }
    await markDelivered(this.env.DB, taken, Date.now())
    return taken.length
  }

  private relay(from: WebSocket, message: RelayedMessage, to: string | null) {
    if (to !== null && !this.devices().some((d) => d.id === to)) {
      return from.send(
        errorFrame('unknown_target', 'No paired device of this household has that id'),
      )
    }
    const targets = open(this.ctx.getWebSockets(to === null ? TVS : deviceTag(to)))
    const frame = JSON.stringify(message)
    const delivered = targets.filter((ws) => trySend(ws, frame)).length
    if (delivered === 0) {
      const which = to === null ? 'No TV of this household is' : 'That TV is not'
      from.send(errorFrame('target_offline', `${which} connected`))
    }
  }

  private left(ws: WebSocket) {
    this.rates.delete(ws)
    this.broadcastPresence(ws)
  }

  /** Presence to every open socket (but `leaving`): the paired devices and which are online. */
  private broadcastPresence(leaving?: WebSocket) {
    const online = new Set<string>()
    const sockets = open(this.ctx.getWebSockets()).filter((ws) => ws !== leaving)
    for (const ws of sockets) {
      const a = ws.deserializeAttachment() as Attachment | null
      if (a?.kind === 'tv') online.add(a.deviceId)
    }
    const frame = presenceFrame(
      this.devices().map((d) => ({ id: d.id, name: d.name, online: online.has(d.id) })),
    )
    for (const ws of sockets) trySend(ws, frame)
  }

  private devices(): Member[] {
    return this.ctx.storage.kv.get<Member[]>('devices') ?? []
  }

  private saveDevices(devices: Member[]) {
    if (JSON.stringify(devices) === JSON.stringify(this.devices())) return
    this.ctx.storage.kv.put('devices', devices)
  }

  private remember(tag: string) {
    const now = Date.now()
    for (const [t, at] of this.ended) if (now - at > ENDED_MEMORY_MS) this.ended.delete(t)
    this.ended.set(tag, now)
  }

  private rememberVersion(paymentId: string, version: number) {
    this.pushedVersions.delete(paymentId)
    this.pushedVersions.set(paymentId, version)
    if (this.pushedVersions.size > VERSIONS_KEPT) {
      const oldest = this.pushedVersions.keys().next().value
      if (oldest !== undefined) this.pushedVersions.delete(oldest)
    }
  }
}

function refused(holder: TicketHolder): Response {
  const detail = holder.kind === 'tv' ? 'This device is no longer paired' : 'This session has ended'
  return new Response(JSON.stringify({ code: 'invalid_token', detail }), { status: 401 })
}

function open(sockets: WebSocket[]): WebSocket[] {
  return sockets.filter((ws) => ws.readyState === OPEN)
}

function trySend(ws: WebSocket, frame: string): boolean {
  try {
    ws.send(frame)
    return true
  } catch {
    return false
  }
}

function tryClose(ws: WebSocket, code: number, reason: string) {
  try {
    ws.close(code, reason)
  } catch {
    // already closing
  }
}

function log(event: string, err: unknown) {
  console.error(JSON.stringify({ event, error: err instanceof Error ? err.message : String(err) }))
}
