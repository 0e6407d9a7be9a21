import { request } from '../shared/api'
import type { Suggestion } from '../shared/types'

export type Mode = 'text' | 't9'

/** Keypress-to-suggestions times in ms (read by the e2e test and shown nowhere). */
export const suggestTimes: number[] = []

/**
 * Asks /v1/search/suggest on every keypress. Leading-edge throttle: a keypress after a quiet
 * moment goes out at once; keypresses closer together than GAP_MS (a burst typed on the phone, a
 * held key) coalesce into one trailing request for the latest text. Every request aborts the one
 * before it, and an answer is shown only if it is for the latest request: stale answers never
 * overwrite fresh ones, whatever order they arrive in.
 */
const GAP_MS = 80

export class Suggester {
  private seq = 0
  private lastSent = 0
  private pending: ReturnType<typeof setTimeout> | undefined
  private inflight: AbortController | null = null

  constructor(
    private readonly show: (items: Suggestion[], q: string) => void,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** `pressedAt`: performance.now() when the key went down. */
  type(q: string, mode: Mode, pressedAt = performance.now()) {
    clearTimeout(this.pending)
    const seq = ++this.seq
    if (q === '') {
      this.inflight?.abort()
      this.show([], q)
      return
    }
    const wait = this.lastSent + GAP_MS - performance.now()
    if (wait <= 0) void this.send(seq, q, mode, pressedAt)
    else this.pending = setTimeout(() => void this.send(seq, q, mode, pressedAt), wait)
  }

  private async send(seq: number, q: string, mode: Mode, pressedAt: number) {
    this.lastSent = performance.now()
    this.inflight?.abort()
    const ctl = new AbortController()
    this.inflight = ctl
    const params = new URLSearchParams({ q, limit: '8' })
    if (mode === 't9') params.set('mode', 't9')
    try {
      const answer = await request<{ items: Suggestion[] }>(`/v1/search/suggest?${params}`, {
        signal: ctl.signal,
      })
      if (seq !== this.seq) return
      this.show(answer.items, q)
      requestAnimationFrame(() => suggestTimes.push(performance.now() - pressedAt))
    } catch (err) {
      if ((err as Error).name === 'AbortError' || seq !== this.seq) return
      this.failed(err)
    }
  }

  dispose() {
    clearTimeout(this.pending)
    this.inflight?.abort()
    this.seq++
  }
}
