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
  .openapi({ param: { name: 'cursor', in: 'query' }, description: 'Opaque keyset cursor from next_cursor' })

/** Keyset cursors are base64url JSON of the last row's sort key; opaque to clients. */
export function encodeCursor(key: unknown): string {
  return base64url.encode(JSON.stringify(key))
}

/** Decodes and validates a cursor against the shape its list uses; anything else is 400 invalid_cursor. */
export function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined || cursor === '') return undefined
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('bad alphabet')
    const json = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64url.decode(cursor))
    const parsed = schema.safeParse(JSON.parse(json))
    if (parsed.success) return parsed.data
  } catch {
    // fall through to the 400 below
  }
  throw new ApiError('invalid_cursor', 'The cursor is not one this list issued')
}

export function listSchema<T extends z.ZodTypeAny>(item: T, name: string) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name)
}
