/**
 * Counts what a request costs in D1, for `npm run bench` only (never wired in production):
 * round trips (each HTTP exchange between the binding and the database; a `batch()` is one)
 * and the `rows_read` / `rows_written` D1 reports in every result's meta.
 *
 * It counts beneath the binding's public API: a D1Database is built over a fetcher, and a second
 * one is built over a fetcher that wraps the first. `first()` and `raw()` drop meta, so counting
 * at the statement level would miss what drizzle reads through `raw()`.
 */
export type D1Stats = { queries: number; rowsRead: number; rowsWritten: number }

type Fetcher = { fetch: typeof fetch }
type D1Binding = D1Database & { fetcher?: Fetcher }
type D1Constructor = new (fetcher: Fetcher) => D1Database
type D1Meta = { rows_read?: number; rows_written?: number }

function addMeta(stats: D1Stats, answer: unknown) {
  for (const result of Array.isArray(answer) ? answer : [answer]) {
    const meta = (result as { meta?: D1Meta } | null)?.meta
    stats.rowsRead += meta?.rows_read ?? 0
    stats.rowsWritten += meta?.rows_written ?? 0
  }
}

export function countingD1(db: D1Database): { db: D1Database; stats: D1Stats } {
  const inner = (db as D1Binding).fetcher
  const Binding = db.constructor as D1Constructor
  if (!inner || typeof inner.fetch !== 'function' || typeof Binding !== 'function') {
    throw new Error('d1-stats: this D1 binding is not built over a fetcher; cannot count')
  }
  const stats: D1Stats = { queries: 0, rowsRead: 0, rowsWritten: 0 }
  const counting: Fetcher = {
    async fetch(input, init) {
      stats.queries++
      const res = await inner.fetch(input, init)
      const body = await res.text()
      try {
        addMeta(stats, JSON.parse(body))
      } catch {
        // Not JSON (an error page): the binding reports it; there is nothing to count.
      }
      const { status, statusText, headers } = res
      return new Response(body, { status, statusText, headers })
    },
  }
  return { db: new Binding(counting), stats }
}

export const D1_STATS_HEADERS = {
  queries: 'x-d1-queries',
  rowsRead: 'x-d1-rows-read',
  rowsWritten: 'x-d1-rows-written',
} as const

/** The request header that asks a BENCH=1 Worker to count (timed requests run uncounted). */
export const D1_STATS_REQUEST_HEADER = 'x-bench-d1-stats'

/** Bench-only switches: a Worker started by `npm run bench` has the var BENCH = "1". */
export function benchEnabled(env: object): boolean {
  return (env as { BENCH?: string }).BENCH === '1'
}

/**
 * Wraps a Worker so a BENCH=1 instance answers a request carrying `x-bench-d1-stats` with the D1
 * cost of that request in response headers. Without BENCH=1, or without the request header, the
 * request goes to the Worker untouched (same env, same binding).
 */
export function withD1Stats<E extends { DB: D1Database }>(
  worker: ExportedHandler<E>,
): ExportedHandler<E> {
  const inner = worker.fetch
  if (!inner) throw new Error('d1-stats: the Worker has no fetch handler')
  return {
    ...worker,
    async fetch(request, env, ctx) {
      if (!benchEnabled(env) || !request.headers.has(D1_STATS_REQUEST_HEADER)) {
        return inner(request, env, ctx)
      }
      const { db, stats } = countingD1(env.DB)
      const res = await inner(request, { ...env, DB: db }, ctx)
      const counted = new Response(res.body, res)
      counted.headers.set(D1_STATS_HEADERS.queries, String(stats.queries))
      counted.headers.set(D1_STATS_HEADERS.rowsRead, String(stats.rowsRead))
      counted.headers.set(D1_STATS_HEADERS.rowsWritten, String(stats.rowsWritten))
      return counted
    },
  }
}
