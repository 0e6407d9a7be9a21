import { env } from 'cloudflare:test'

export type Recorded = { sql: string; params: unknown[] }

/**
 * An Env whose DB is the real test D1 with a recorder around it: every statement prepared (with
 * its bound parameters), every round trip to D1 (a batch is one), and rows_read summed from meta.
 */
export function recordingEnv() {
  const statements: Recorded[] = []
  const stats = { roundTrips: 0, rowsRead: 0 }
  const record = (meta: { rows_read?: number } | undefined) => {
    stats.rowsRead += meta?.rows_read ?? 0
  }
  const wrap = (real: D1PreparedStatement, entry: Recorded): D1PreparedStatement => {
    const wrapped = {
      bind(...params: unknown[]) {
        entry.params = params
        return wrap(real.bind(...params), entry)
      },
      async first(column?: string) {
        stats.roundTrips++
        const res = await real.all()
        record(res.meta)
        const row = (res.results[0] ?? null) as Record<string, unknown> | null
        return column && row ? row[column] : row
      },
      async all() {
        stats.roundTrips++
        const res = await real.all()
        record(res.meta)
        return res
      },
      async run() {
        stats.roundTrips++
        const res = await real.run()
        record(res.meta)
        return res
      },
      raw: real.raw.bind(real),
      __real: real,
    }
    return wrapped as unknown as D1PreparedStatement
  }
  const DB = {
    prepare(sql: string) {
      const entry: Recorded = { sql, params: [] }
      statements.push(entry)
      return wrap(env.DB.prepare(sql), entry)
    },
    async batch(list: D1PreparedStatement[]) {
      stats.roundTrips++
      const results = await env.DB.batch(
        list.map((s) => (s as unknown as { __real: D1PreparedStatement }).__real),
      )
      for (const r of results) record(r.meta)
      return results
    },
  }
  return { env: { ...env, DB } as unknown as Env, statements, stats }
}

/** The query plan lines of a recorded statement, run against the real database. */
export async function queryPlan(entry: Recorded): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${entry.sql}`)
    .bind(...entry.params)
    .all<{ detail: string }>()
  return results.map((r) => r.detail)
}
