import { env } from 'cloudflare:test'
import { is } from 'drizzle-orm'
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core'
import { describe, expect, it } from 'vitest'
import { dumpSchema, parseSchemaFile } from '../../src/db/schema-dump'

const modules = import.meta.glob('../../src/db/schema/*.ts', { eager: true }) as Record<
  string,
  Record<string, unknown>
>
const drizzleTables = Object.values(modules)
  .flatMap((m) => Object.values(m))
  .filter((v): v is SQLiteTable => is(v, SQLiteTable))
  .map((t) => getTableConfig(t))

describe('schema drift', () => {
  it('schema.sql is exactly what the migrations produce (run `npm run db:schema`)', async () => {
    const migrated = await dumpSchema(env.DB)
    expect(parseSchemaFile(env.SCHEMA_SQL)).toEqual(migrated)
  })

  it('every drizzle table exists in the migrated database with the same columns', async () => {
    expect(drizzleTables.length).toBeGreaterThan(0)
    for (const table of drizzleTables) {
      const { results } = await env.DB.prepare(
        `SELECT name, "notnull" AS nn, pk FROM pragma_table_info(?)`,
      )
        .bind(table.name)
        .all<{ name: string; nn: number; pk: number }>()
      const actual = results.map((c) => `${c.name}${c.nn || c.pk ? ' not null' : ''}`).sort()
      const expected = table.columns
        .map((c) => `${c.name}${c.notNull || c.primary ? ' not null' : ''}`)
        .sort()
      expect({ table: table.name, columns: actual }).toEqual({
        table: table.name,
        columns: expected,
      })
    }
  })

  it('every drizzle index exists in the migrated database', async () => {
    for (const table of drizzleTables) {
      const { results } = await env.DB.prepare('SELECT name FROM pragma_index_list(?)')
        .bind(table.name)
        .all<{ name: string }>()
      const actual = new Set(results.map((r) => r.name))
      for (const index of table.indexes)
        expect(actual, `${table.name}.${index.config.name}`).toContain(index.config.name)
    }
  })

  it('every drizzle text enum (the row types) is the set its CHECK allows', async () => {
    const statements = await dumpSchema(env.DB)
    let compared = 0
    for (const table of drizzleTables) {
      const create = statements.find((s) =>
        new RegExp(`^CREATE TABLE [\`"]${table.name}[\`"]`).test(s),
      )
      expect(create, table.name).toBeDefined()
      for (const column of table.columns) {
        const values = (column as { enumValues?: string[] }).enumValues
        if (!values?.length) continue
        const check = new RegExp(`CHECK\\(${column.name} IN \\(([^)]*)\\)\\)`).exec(create!)
        if (!check) continue
        const allowed = check[1]!.split(',').map((v) => v.trim().replace(/^'|'$/g, ''))
        expect({ column: `${table.name}.${column.name}`, values: [...values].sort() }).toEqual({
          column: `${table.name}.${column.name}`,
          values: allowed.sort(),
        })
        compared++
      }
    }
    expect(compared).toBeGreaterThanOrEqual(10)
  })

  it('the ledger is append-only in the database, and schema.sql has its triggers', async () => {
    const triggers = (await dumpSchema(env.DB)).filter((s) =>
      /^CREATE TRIGGER `ledger_transfers_/.test(s),
    )
    const names = triggers.map((s) => /^CREATE TRIGGER `(\w+)`/.exec(s)?.[1])
    expect(names).toEqual([
      'ledger_transfers_amount_bounded',
      'ledger_transfers_no_delete',
      'ledger_transfers_no_update',
      'ledger_transfers_retry',
    ])
    const file = parseSchemaFile(env.SCHEMA_SQL)
    for (const trigger of triggers) expect(file).toContain(trigger)
  })

  it('every plain table in the database is declared in drizzle', async () => {
    const statements = await dumpSchema(env.DB)
    const plainTables = statements
      .map((s) => /^CREATE TABLE [`"]?(\w+)/.exec(s)?.[1])
      .filter((n): n is string => Boolean(n))
    const declared = new Set(drizzleTables.map((t) => t.name))
    expect(plainTables.filter((t) => !declared.has(t))).toEqual([])
  })
})
