import { request } from '../shared/api'
import type { Suggestion } from '../shared/types'

export type Mode = 'text' | 't9'

/** Keypress-to-suggestions times in ms (read by the e2e test and shown nowhere). */
export const suggestTimes: number[] = []

/**
 * Request times of the keypresses that needed the network, in ms (fetch start to answer parsed):
 * the rest of a keypress figure is waiting for the page's thread and drawing.
 */
export const suggestFetchTimes: number[] = []

/**
 * Where each drawn keypress's answer came from: kept on the TV, a prefetch already on its way when
 * the key was pressed, or a request the keypress sent.
 */
export const suggestSources = { kept: 0, prefetched: 0, asked: 0 }

/** Answers kept on the TV: a query typed again (Delete, a word retyped) costs no request. */
const KEEP_MS = 60_000
const KEEP_MAX = 200

type Entry = { items: Promise<Suggestion[]>; at: number; ctl: AbortController; settled: boolean }

/**
 * Asks /v1/search/suggest on every keypress, at once (no throttle: a person on a remote never
 * types fast enough for it to matter, and a burst of phone frames is at most 20 a second).
 *
 * On a remote a key is reached before it is pressed: when focus lands on a key, the answer for
 * the query that key would make is asked for already (`prefetch`), so pressing OK usually finds
 * it here or on its way. At most one prefetch is in flight: focus moving on while it is replaces
 * the next one to ask, so arrows held down never queue requests ahead of a real keypress (a busy
 * server sees at most one more request per TV). Answers are kept a minute, per mode and query,
 * at most 200: Delete, a word typed again, or a prefix already seen cost no request.
 *
 * An answer is drawn only if it is for the latest keypress: a slow stale answer never replaces a
 * fresh one, whatever order they arrive in.
 */
export class Suggester {
  private seq = 0
  private readonly kept = new Map<string, Entry>()
  /** The prefetch on its way (at most one), and the one the focused key wants next. */
  private inFlight: Entry | null = null
  private next: { key: string; q: string; mode: Mode } | null = null

  constructor(
    private readonly show: (items: Suggestion[], q: string) => void,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** `pressedAt`: performance.now() when the key went down. */
  type(q: string, mode: Mode, pressedAt = performance.now()) {
    const seq = ++this.seq
    if (q === '') {
      this.show([], q)
      return
    }
    const key = keyOf(q, mode)
    if (this.next?.key === key) this.next = null
    const kept = this.lookup(key)
    const source = !kept ? 'asked' : kept.settled ? 'kept' : 'prefetched'
    void this.draw(seq, q, kept ?? this.ask(key, q, mode), pressedAt, source)
  }

  /** Focus is on a key that would make `q`: ask for its answer before it is pressed. */
  prefetch(q: string, mode: Mode) {
    const key = keyOf(q, mode)
    this.next = q === '' || this.lookup(key) ? null : { key, q, mode }
    this.pump()
  }

  private pump() {
    if (this.inFlight || !this.next) return
    const { key, q, mode } = this.next
    this.next = null
    const entry = this.ask(key, q, mode)
    this.inFlight = entry
    const done = () => {
      if (this.inFlight === entry) this.inFlight = null
      this.pump()
    }
    entry.items.then(done, done)
  }

  private async draw(
    seq: number,
    q: string,
    entry: Entry,
    pressedAt: number,
    source: keyof typeof suggestSources,
  ) {
    const sentAt = performance.now()
    try {
      const items = await entry.items
      if (seq !== this.seq) return
      suggestSources[source]++
      if (source === 'asked') suggestFetchTimes.push(performance.now() - sentAt)
      this.show(items, q)
      requestAnimationFrame(() => suggestTimes.push(performance.now() - pressedAt))
    } catch (err) {
      if (seq !== this.seq || (err as Error).name === 'AbortError') return
      this.failed(err)
    }
  }

  private ask(key: string, q: string, mode: Mode): Entry {
    const ctl = new AbortController()
    const params = new URLSearchParams({ q, limit: '8' })
    if (mode === 't9') params.set('mode', 't9')
    const entry: Entry = { items: Promise.resolve([]), at: Date.now(), ctl, settled: false }
    entry.items = request<{ items: Suggestion[] }>(`/v1/search/suggest?${params}`, {
      signal: ctl.signal,
    }).then(
      (answer) => {
        entry.settled = true
        return answer.items
      },
      (err) => {
        // A failed answer is not kept: the next keypress for it asks again.
        if (this.kept.get(key) === entry) this.kept.delete(key)
        throw err
      },
    )
    this.kept.set(key, entry)
    if (this.kept.size > KEEP_MAX) this.kept.delete(this.kept.keys().next().value as string)
    return entry
  }

  private lookup(key: string): Entry | undefined {
    const entry = this.kept.get(key)
    if (!entry) return undefined
    if (Date.now() - entry.at > KEEP_MS) {
      this.kept.delete(key)
      return undefined
    }
    return entry
  }

  /** The screen is gone: nothing more is drawn, nothing in flight is waited for. */
  dispose() {
    for (const entry of this.kept.values()) if (!entry.settled) entry.ctl.abort()
    this.kept.clear()
    this.next = null
    this.seq++
  }
}

function keyOf(q: string, mode: Mode): string {
  return `${mode}:${q}`
}
