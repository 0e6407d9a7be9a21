import { SELF } from 'cloudflare:test'
import { call } from '../helpers/http'

export type Frame = { type: string; [key: string]: any }

/**
 * One end of a household channel socket opened through the Worker's own fetch (ticket, upgrade,
 * the real Household object). Frames are queued as they arrive; next() takes the first one that
 * matches, so a test can wait for what it expects whatever came before.
 */
export class Peer {
  readonly frames: Frame[] = []
  readonly raw: string[] = []
  closed: { code: number; reason: string } | null = null
  private readonly wakers = new Set<() => void>()

  constructor(readonly ws: WebSocket) {
    ws.addEventListener('message', (event) => {
      const text = typeof event.data === 'string' ? event.data : '<binary>'
      this.raw.push(text)
      this.frames.push(JSON.parse(text))
      this.wake()
    })
    ws.addEventListener('close', (event) => {
      this.closed = { code: event.code, reason: event.reason }
      this.wake()
    })
    ws.accept()
  }

  send(frame: unknown) {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** The first queued frame of `type` (and matching `where`), removed from the queue. */
  async next(type: string, where: (f: Frame) => boolean = () => true, ms = 5000): Promise<Frame> {
    const found = await this.until(() => {
      const i = this.frames.findIndex((f) => f.type === type && where(f))
      return i === -1 ? undefined : this.frames.splice(i, 1)[0]
    }, ms)
    if (!found) {
      const seen = this.frames.map((f) => f.type).join(', ') || 'nothing'
      throw new Error(
        `no ${type} frame within ${ms} ms (queued: ${seen}; closed: ${this.closed?.code})`,
      )
    }
    return found
  }

  /** Waits for the close; its code and reason. */
  async closing(ms = 5000): Promise<{ code: number; reason: string }> {
    const closed = await this.until(() => this.closed ?? undefined, ms)
    if (!closed) throw new Error(`socket still open after ${ms} ms`)
    return closed
  }

  /** Drops what is queued (e.g. the presence frames of joins a test does not look at). */
  drain() {
    this.frames.length = 0
  }

  /** Frames of these types queued now (after giving in-flight ones `ms` to land). */
  async queued(types: string[], ms = 150): Promise<Frame[]> {
    await new Promise((r) => setTimeout(r, ms))
    return this.frames.filter((f) => types.includes(f.type))
  }

  close() {
    if (!this.closed) this.ws.close(1000, 'test done')
  }

  private wake() {
    for (const w of [...this.wakers]) w()
  }

  private until<T>(probe: () => T | undefined, ms: number): Promise<T | undefined> {
    const now = probe()
    if (now !== undefined) return Promise.resolve(now)
    return new Promise((resolve) => {
      const check = () => {
        const value = probe()
        if (value === undefined) return
        finish(value)
      }
      const finish = (value: T | undefined) => {
        clearTimeout(timer)
        this.wakers.delete(check)
        resolve(value)
      }
      const timer = setTimeout(() => finish(undefined), ms)
      this.wakers.add(check)
    })
  }
}

export async function ticketFor(token: string): Promise<string> {
  const res = await call('POST', '/v1/channel/tickets', { token })
  if (res.status !== 201) throw new Error(`ticket: ${res.status} ${res.text}`)
  return res.body.ticket
}

/** GET /v1/channel?ticket= with Upgrade: websocket through the Worker's fetch. */
export function upgrade(ticket: string | null, headers: Record<string, string> = {}) {
  const query = ticket === null ? '' : `?ticket=${encodeURIComponent(ticket)}`
  return SELF.fetch(`https://tvpay.test/v1/channel${query}`, {
    headers: { upgrade: 'websocket', 'accept-language': 'en', ...headers },
  })
}

/** A ticket, then the socket; waits for the first presence frame (every join gets one). */
export async function join(token: string, headers: Record<string, string> = {}): Promise<Peer> {
  const res = await upgrade(await ticketFor(token), headers)
  if (res.status !== 101 || !res.webSocket) {
    throw new Error(`upgrade: ${res.status} ${await res.text()}`)
  }
  const peer = new Peer(res.webSocket)
  await peer.next('presence')
  return peer
}

export async function closeAll(...peers: Peer[]) {
  for (const p of peers) p.close()
  await Promise.all(peers.map((p) => p.closing().catch(() => null)))
}
