import { request } from '../shared/api'
import type { Suggestion } from '../shared/types'

export type Mode = 'text' | 't9'

/** Keypress-to-suggestions times in ms (read by the e2e test and shown nowhere). */
export const suggestTimes: number[] = []

/**
 * Request times of those keypresses in ms (fetch start to answer parsed): the rest of a
 * keypress figure is waiting for the page's thread and drawing.
 */
export const suggestFetchTimes: number[] = []

/**
 * Asks /v1/search/suggest on every keypress, at once: no throttle (an 80 ms leading-edge throttle
 * used to hold a key pressed soon after another for the rest of the 80 ms, and a person on a
 * remote never types fast enough for the requests to matter; a burst of phone frames is at most
 * 20 a second, each answered from cache or by one key-range read). Every request aborts the one
 * before it, and an answer is shown only if it is for the latest request: stale answers never
 * overwrite fresh ones, whatever order they arrive in.
 */
export class Suggester {
  private seq = 0
  private inflight: AbortController | null = null

  constructor(
    private readonly show: (items: Suggestion[], q: string) => void,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** `pressedAt`: performance.now() when the key went down. */
  type(q: string, mode: Mode, pressedAt = performance.now()) {
    const seq = ++this.seq
    if (q === '') {
      this.inflight?.abort()
      this.show([], q)
      return
    }
    void this.send(seq, q, mode, pressedAt)
  }

  private async send(seq: number, q: string, mode: Mode, pressedAt: number) {
    this.inflight?.abort()
    const ctl = new AbortController()
    this.inflight = ctl
    const params = new URLSearchParams({ q, limit: '8' })
    if (mode === 't9') params.set('mode', 't9')
    try {
      const sentAt = performance.now()
      const answer = await request<{ items: Suggestion[] }>(`/v1/search/suggest?${params}`, {
        signal: ctl.signal,
      })
      if (seq !== this.seq) return
      suggestFetchTimes.push(performance.now() - sentAt)
      this.show(answer.items, q)
      requestAnimationFrame(() => suggestTimes.push(performance.now() - pressedAt))
    } catch (err) {
      if ((err as Error).name === 'AbortError' || seq !== this.seq) return
      this.failed(err)
    }
  }

  dispose() {
    this.inflight?.abort()
    this.seq++
  }
}
