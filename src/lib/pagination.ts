import { z } from '@hono/zod-openapi'
import { base64url } from 'jose'
import { ApiError } from '../http/errors'

export const LimitQuery = z.coerce
  .number()
  .int()
  .min(1)
  .max(50)
  .default(20)
  .openapi({ param: { name: 'limit', in: 'query' }, example: 20 })

export const CursorQuery = z
  .string()
  .max(512)
  .optional()
  .openapi({
    param: { name: 'cursor', in: 'query' },
    description: 'Opaque keyset cursor from next_cursor',
  })

/** Keyset cursors are base64url JSON of the last row's sort key; opaque to clients. */
export function encodeCursor(key: unknown): string {
  return base64url.encode(JSON.stringify(key))
}

/** Decodes and validates a cursor against the shape its list uses; anything else is 400 invalid_cursor. */
export function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined || cursor === '') return undefined
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('bad alphabet')
    const json = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      base64url.decode(cursor),
    )
    const parsed = schema.safeParse(JSON.parse(json))
    if (parsed.success) return parsed.data
  } catch {
    // fall through to the 400 below
  }
  throw new ApiError('invalid_cursor', 'The cursor is not one this list issued')
}

/**
 * How a list is ordered for keyset pages: its sort columns (unique together, the row's id last),
 * one direction for all of them, and the cursor it hands out, which names the last row's key.
 * Every list builds its page from one of these, with keysetClause and keysetPage.
 */
export type Keyset<Row, Cursor> = {
  columns: readonly [string, ...string[]]
  dir: 'ASC' | 'DESC'
  /** The shape of this list's cursors; anything else is 400 invalid_cursor. */
  cursor: z.ZodType<Cursor>
  /** The cursor that continues after `row`. */
  cursorOf: (row: Row) => Cursor
  /** The cursor's values in column order (a tuple cursor is that already). */
  valuesOf?: (cursor: Cursor) => readonly unknown[]
  /**
   * Where the first page starts, for a list with no equality prefix in its index: without a bound
   * on the sort key SQLite walks the index from its end (SCAN) instead of seeking (SEARCH).
   */
  start?: Cursor
}

/** A list's ordering, with Row and Cursor inferred from the fields. */
export function keyset<Row, Cursor>(spec: Keyset<Row, Cursor>): Keyset<Row, Cursor> {
  return spec
}

/** Newest first, by (created_at, id): orders, payments, devices, deal places. */
export const newestFirst = keyset({
  columns: ['created_at', 'id'],
  dir: 'DESC',
  cursor: z.tuple([z.number().int(), z.string().max(64)]),
  cursorOf: (row: { created_at: number; id: string }) => [row.created_at, row.id],
})

/**
 * The SQL of one page read with `LIMIT limit + 1`: `after` to AND into the WHERE (a row-value
 * comparison, `(created_at, id) < (?, ?)`, which SQLite answers by seeking in an index on those
 * columns), its parameters, and the ORDER BY. `after` is null on a first page without a start.
 */
export function keysetClause<Row, Cursor>(
  list: Keyset<Row, Cursor>,
  cursor: string | undefined,
): { after: string | null; params: unknown[]; orderBy: string } {
  const from = decodeCursor(cursor, list.cursor) ?? list.start
  const orderBy = list.columns.map((c) => `${c} ${list.dir}`).join(', ')
  if (from === undefined) return { after: null, params: [], orderBy }
  const params = [...(list.valuesOf ? list.valuesOf(from) : (from as unknown[]))]
  const cmp = list.dir === 'ASC' ? '>' : '<'
  const row = (items: readonly string[]) =>
    items.length === 1 ? items[0]! : `(${items.join(', ')})`
  const after = `${row(list.columns)} ${cmp} ${row(list.columns.map(() => '?'))}`
  return { after, params, orderBy }
}

/** A keyset page from rows read with `LIMIT limit + 1`: the extra row only says there is more. */
export function keysetPage<Row, Cursor, T>(
  rows: Row[],
  limit: number,
  view: (row: Row) => T,
  list: Pick<Keyset<Row, Cursor>, 'cursorOf'>,
) {
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  return {
    items: page.map(view),
    next_cursor: rows.length > limit && last ? encodeCursor(list.cursorOf(last)) : null,
  }
}

export function listSchema<T extends z.ZodTypeAny>(item: T, name: string) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name)
}
