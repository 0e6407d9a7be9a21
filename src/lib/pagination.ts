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

/** A keyset page from rows read with `LIMIT limit + 1`: the extra row only says there is more. */
export function keysetPage<R, T>(
  rows: R[],
  limit: number,
  view: (row: R) => T,
  keyOf: (last: R) => unknown,
) {
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  return {
    items: page.map(view),
    next_cursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null,
  }
}

export function listSchema<T extends z.ZodTypeAny>(item: T, name: string) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name)
}
