/**
 * The household channel (API.md "Household channel"): one WebSocket per screen, joined with a
 * single-use ticket. It is an accelerator, never a dependency: when the server has no channel
 * (tickets answer 404) or the socket drops, `connected` is false and callers fall back to
 * long-polling; it reconnects by itself with backoff.
 */
export type ChannelMessage = { type: string; [key: string]: unknown }
type Handler = (msg: ChannelMessage) => void

export class HouseholdChannel {
  private ws: WebSocket | null = null
  private handlers = new Map<string, Set<Handler>>()
  private closed = false
  private retryMs = 1000
  private unsupported = false

  /** `ticket()`: POST /v1/channel/tickets with this page's token; null when there is no channel. */
  constructor(private readonly ticket: () => Promise<string | null>) {
    void this.connect()
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN
  }

  on(type: string, handler: Handler): () => void {
    let set = this.handlers.get(type)
    if (!set) this.handlers.set(type, (set = new Set()))
    set.add(handler)
    return () => set.delete(handler)
  }

  send(msg: ChannelMessage): boolean {
    if (!this.connected) return false
    this.ws?.send(JSON.stringify(msg))
    return true
  }

  close() {
    this.closed = true
    this.ws?.close(1000)
  }

  private emit(msg: ChannelMessage) {
    for (const h of this.handlers.get(msg.type) ?? []) h(msg)
    for (const h of this.handlers.get('*') ?? []) h(msg)
  }

  private async connect() {
    if (this.closed || this.unsupported) return
    let ticket: string | null
    try {
      ticket = await this.ticket()
    } catch {
      return this.retry()
    }
    if (ticket === null) {
      this.unsupported = true
      return
    }
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/channel?ticket=${encodeURIComponent(ticket)}`
    const ws = new WebSocket(url)
    this.ws = ws
    ws.onopen = () => {
      this.retryMs = 1000
      this.emit({ type: 'channel.open' })
    }
    ws.onmessage = (e) => {
      try {
        const msg = JSON.parse(String(e.data)) as ChannelMessage
        if (msg && typeof msg.type === 'string') this.emit(msg)
      } catch {
        // not ours to guess at: the server only sends JSON
      }
    }
    ws.onclose = (e) => {
      this.emit({ type: 'channel.closed', code: e.code })
      if (e.code === 4001) this.closed = true // unpaired: the device.revoked message said why
      this.retry()
    }
  }

  private retry() {
    if (this.closed) return
    setTimeout(() => void this.connect(), this.retryMs)
    this.retryMs = Math.min(this.retryMs * 2, 30_000)
  }
}
