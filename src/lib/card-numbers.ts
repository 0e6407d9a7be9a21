import { z } from '@hono/zod-openapi'

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

/**
 * The one guard for free text a person types (nicknames, memos, reasons): a card number pasted
 * into one would be stored and shown in the clear, so such text is refused (400).
 */
export function freeText(schema: z.ZodString) {
  return schema.refine((text) => !looksLikeCardNumber(text), {
    message: 'must not contain a card number',
  })
}
