/**
 * The canonical text of a database's schema: every CREATE statement in sqlite_master that a
 * migration made, in a stable order, without D1's internal tables or FTS shadow tables.
 * `scripts/schema-sql.ts` writes it to schema.sql; tests/db/schema-drift.test.ts compares.
 */
type Queryable = { prepare(sql: string): { all<T>(): Promise<{ results: T[] }> } }

type Row = { type: string; name: string; tbl_name: string; sql: string }

const INTERNAL = /^(sqlite_|_cf_|d1_migrations$)/

export async function dumpSchema(db: Queryable): Promise<string[]> {
  const { results } = await db
    .prepare('SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL')
    .all<Row>()
  const virtual = results.filter((r) => /^CREATE VIRTUAL TABLE/i.test(r.sql)).map((r) => r.name)
  const isShadow = (name: string) => virtual.some((v) => name.startsWith(`${v}_`))
  const order = { table: 0, index: 1, view: 2, trigger: 3 } as Record<string, number>
  return results
    .filter((r) => !INTERNAL.test(r.name) && !INTERNAL.test(r.tbl_name) && !isShadow(r.tbl_name))
    .sort((a, b) => (order[a.type] ?? 9) - (order[b.type] ?? 9) || a.name.localeCompare(b.name))
    .map((r) => `${normalize(r.sql)};`)
}

/** Whitespace-insensitive form, so formatting of the migration files doesn't count as drift. */
export function normalize(sql: string): string {
  return sql.replace(/\s+/g, ' ').replace(/\(\s/g, '(').replace(/\s\)/g, ')').trim()
}

/** Splits a schema.sql file back into normalized statements (one per line, each ending in `;`). */
export function parseSchemaFile(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('--'))
    .map((line) => normalize(line))
}
