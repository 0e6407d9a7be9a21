import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../http/errors'
import { looksLikeCardNumber } from '../lib/card-numbers'

export { looksLikeCardNumber, luhn } from '../lib/card-numbers'

/** Every string, key and number anywhere in a parsed JSON value. */
function* texts(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value
  else if (typeof value === 'number') yield String(value)
  else if (Array.isArray(value)) for (const v of value) yield* texts(v)
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      yield k
      yield* texts(v)
    }
  }
}

export function bodyHasCardNumber(raw: string): boolean {
  if (looksLikeCardNumber(raw)) return true
  try {
    // Also the decoded form, so "\u0034\u0032..." escapes cannot smuggle one through.
    for (const t of texts(JSON.parse(raw))) if (looksLikeCardNumber(t)) return true
  } catch {
    // not JSON: the raw scan above is all there is
  }
  return false
}

/**
 * Refuses any body carrying something that looks like a card number, before validation, before
 * idempotency storage and before any log line, so a PAN is never stored or logged. The response
 * does not echo the value.
 */
export const rejectCardNumbers = createMiddleware<AppEnv>(
  async function rejectCardNumbers(c, next) {
    if (bodyHasCardNumber(await c.req.text())) {
      throw new ApiError(
        'card_number_not_allowed',
        'Card numbers are never accepted here: add the card through the provider and send its token',
      )
    }
    await next()
  },
)
