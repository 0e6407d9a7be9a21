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
 * it here or on its way. Only the prefetch for the focused key stays in flight: moving on aborts
 * it, so passing over keys never queues requests ahead of a real keypress. Answers are kept a
 * minute, per mode and query, at most 200.
 *
 * An answer is drawn only if it is for the latest keypress: a slow stale answer never replaces a
 * fresh one, whatever order they arrive in.
 */
export class Suggester {
  private seq = 0
  private readonly kept = new Map<string, Entry>()
  /** The key of the request for the latest keypress, and of the focused key's prefetch. */
  private wanted: string | null = null
  private prefetching: string | null = null

  constructor(
    private readonly show: (items: Suggestion[], q: string) => void,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** `pressedAt`: performance.now() when the key went down. */
  type(q: string, mode: Mode, pressedAt = performance.now()) {
    const seq = ++this.seq
    if (q === '') {
      this.wanted = null
      this.show([], q)
      return
    }
    const key = keyOf(q, mode)
    const previous = this.wanted
    this.wanted = key
    if (previous && previous !== key && previous !== this.prefetching) this.abortIfPending(previous)
    const kept = this.lookup(key)
    const source = !kept ? 'asked' : kept.settled ? 'kept' : 'prefetched'
    void this.draw(seq, q, kept ?? this.ask(key, q, mode), pressedAt, source)
  }

  /** Focus is on a key that would make `q`: ask for its answer before it is pressed. */
  prefetch(q: string, mode: Mode) {
    const key = q === '' ? null : keyOf(q, mode)
    const previous = this.prefetching
    this.prefetching = key
    if (previous && previous !== key && previous !== this.wanted) this.abortIfPending(previous)
    if (key && !this.lookup(key)) this.ask(key, q, mode, false)
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
      if (seq !== this.seq) return
      // The keypress's own answer was aborted as a prefetch a moment before: ask again.
      if ((err as Error).name === 'AbortError') return this.retry(seq, q, pressedAt)
      this.failed(err)
    }
  }

  private retry(seq: number, q: string, pressedAt: number) {
    const key = this.wanted
    if (!key) return
    const mode = key.startsWith('t9:') ? 't9' : 'text'
    void this.draw(seq, q, this.lookup(key) ?? this.ask(key, q, mode), pressedAt, 'asked')
  }

  private ask(key: string, q: string, mode: Mode, awaited = true): Entry {
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
        if (this.kept.get(key) === entry) this.kept.delete(key)
        throw err
      },
    )
    // A prefetch nobody awaits yet must not surface as an unhandled rejection.
    if (!awaited) entry.items.catch(() => {})
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

  private abortIfPending(key: string) {
    const entry = this.kept.get(key)
    if (entry && !entry.settled) {
      this.kept.delete(key)
      entry.ctl.abort()
    }
  }

  dispose() {
    for (const entry of this.kept.values()) if (!entry.settled) entry.ctl.abort()
    this.kept.clear()
    this.seq++
  }
}

function keyOf(q: string, mode: Mode): string {
  return `${mode}:${q}`
}
