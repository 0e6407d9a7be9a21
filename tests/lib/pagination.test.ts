import { env } from 'cloudflare:test'
import { z } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/http/errors'
import {
  encodeCursor,
  keyset,
  keysetClause,
  keysetPage,
  newestFirst,
} from '../../src/lib/pagination'

const byName = keyset({
  columns: ['name', 'id'],
  dir: 'ASC',
  cursor: z.object({ n: z.string(), i: z.string() }),
  cursorOf: (row: { name: string; id: string }) => ({ n: row.name, i: row.id }),
  valuesOf: (c) => [c.n, c.i],
})

describe('keysetClause', () => {
  it('a first page has no bound, a later one a row-value bound in the list direction', () => {
    expect(keysetClause(newestFirst, undefined)).toEqual({
      after: null,
      params: [],
      orderBy: 'created_at DESC, id DESC',
    })
    expect(keysetClause(newestFirst, encodeCursor([5, 'ord_x']))).toEqual({
      after: '(created_at, id) < (?, ?)',
      params: [5, 'ord_x'],
      orderBy: 'created_at DESC, id DESC',
    })
    expect(keysetClause(byName, encodeCursor({ n: 'b', i: 'x' }))).toEqual({
      after: '(name, id) > (?, ?)',
      params: ['b', 'x'],
      orderBy: 'name ASC, id ASC',
    })
  })

  it('a list with a start bounds its first page too; one column needs no row value', () => {
    const byId = keyset({
      columns: ['id'],
      dir: 'ASC',
      cursor: z.object({ id: z.string() }),
      cursorOf: (row: { id: string }) => ({ id: row.id }),
      valuesOf: (c) => [c.id],
      start: { id: '' },
    })
    expect(keysetClause(byId, undefined)).toEqual({
      after: 'id > ?',
      params: [''],
      orderBy: 'id ASC',
    })
  })

  it('refuses a cursor of another shape or another list with 400 invalid_cursor', () => {
    for (const bad of ['!!!', encodeCursor({ n: 'b' }), encodeCursor([1, 'x', 2]), 'e30']) {
      const err = (() => {
        try {
          keysetClause(newestFirst, bad)
        } catch (e) {
          return e
        }
      })()
      expect(err).toBeInstanceOf(ApiError)
      expect((err as ApiError).code).toBe('invalid_cursor')
    }
  })
})

describe('pages from a real table', () => {
  it('walks rows with equal sort keys, both directions, without skipping or repeating one', async () => {
    const table = `keyset_${crypto.randomUUID().replaceAll('-', '')}`
    await env.DB.prepare(`CREATE TABLE ${table} (id TEXT PRIMARY KEY, name TEXT NOT NULL)`).run()
    const rows = Array.from({ length: 23 }, (_, i) => ({
      id: `r${String(i).padStart(2, '0')}`,
      name: ['a', 'b', 'b', 'c'][i % 4]!,
    }))
    await env.DB.batch(
      rows.map((r) => env.DB.prepare(`INSERT INTO ${table} VALUES (?, ?)`).bind(r.id, r.name)),
    )
    for (const list of [byName, { ...byName, dir: 'DESC' as const }]) {
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = keysetClause(list, cursor)
        const where = page.after ? `WHERE ${page.after}` : ''
        const { results } = await env.DB.prepare(
          `SELECT id, name FROM ${table} ${where} ORDER BY ${page.orderBy} LIMIT ?`,
        )
          .bind(...page.params, 4 + 1)
          .all<{ id: string; name: string }>()
        const read = keysetPage(results, 4, (r) => r.id, list)
        seen.push(...read.items)
        cursor = read.next_cursor ?? undefined
      } while (cursor)
      const sorted = [...rows].sort((x, y) =>
        x.name === y.name ? x.id.localeCompare(y.id) : x.name.localeCompare(y.name),
      )
      if (list.dir === 'DESC') sorted.reverse()
      expect(seen).toEqual(sorted.map((r) => r.id))
    }
  })
})
