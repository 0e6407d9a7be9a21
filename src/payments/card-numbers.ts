import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../http/errors'

/** Runs of digits with single spaces or dashes between them, not part of a longer digit run. */
const DIGIT_RUN = /(?<!\d)\d(?:[ -]?\d)*(?!\d)/g

/** 13-19 digits (spaces and dashes allowed) that pass the Luhn check: a primary account number. */
export function looksLikeCardNumber(text: string): boolean {
  for (const match of text.matchAll(DIGIT_RUN)) {
    // An international phone number (+86 138 0013 8000) is not a card number.
    if (match.index > 0 && text[match.index - 1] === '+') continue
    const digits = match[0].replace(/[ -]/g, '')
    if (digits.length >= 13 && digits.length <= 19 && luhn(digits)) return true
  }
  return false
}

export function luhn(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

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
