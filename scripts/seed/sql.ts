import type { Sql, SqlValue } from '../../src/catalog/product-rows'

export type { Sql, SqlValue }

/**
 * Statements that belong together (one product's row and its search keys): a runner never
 * splits a unit across two files or batches.
 */
export type SqlUnit = Sql[]

function literal(value: SqlValue): string {
  if (value === null) return 'NULL'
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as SQL`)
    return String(value)
  }
  if (value.includes('\u0000')) throw new Error('NUL characters cannot be written as a SQL literal')
  return `'${value.replaceAll("'", "''")}'`
}

/**
 * Inlines parameters as SQL literals, for a file `wrangler d1 execute --file` can run.
 * Follows SQLite's numbering: `?NNN` is parameter NNN, a bare `?` is one more than the largest
 * number used so far. Quoted strings, identifiers and comments are copied untouched.
 */
export function renderSql({ sql, params }: Sql): string {
  let out = ''
  let largest = 0
  let i = 0
  while (i < sql.length) {
    const ch = sql[i]
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = sql.indexOf(ch, i + 1)
      if (end < 0) throw new Error(`unterminated ${ch} in SQL`)
      out += sql.slice(i, end + 1)
      i = end + 1
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      i = end < 0 ? sql.length : end
    } else if (ch === '?') {
      const digits = /^\d*/.exec(sql.slice(i + 1))![0]
      const n = digits ? Number(digits) : largest + 1
      if (n < 1 || n > params.length) throw new Error(`?${n} but only ${params.length} params`)
      largest = Math.max(largest, n)
      out += literal(params[n - 1])
      i += 1 + digits.length
    } else {
      out += ch
      i++
    }
  }
  return out.trim().replace(/;$/, '') + ';'
}

/** Binds statements for a D1 batch, the way the admin routes run the same SQL. */
export function bindAll(db: D1LikeDatabase, sqls: Sql[]) {
  return sqls.map((s) => db.prepare(s.sql).bind(...s.params))
}

/** The slice of D1's API the seeder needs: the Worker binding and Miniflare's proxy both fit. */
export type D1LikeDatabase = {
  prepare(sql: string): { bind(...values: unknown[]): unknown }
}
