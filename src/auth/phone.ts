import { z } from '@hono/zod-openapi'

const E164 = /^\+[1-9]\d{6,14}$/
const MAINLAND_MOBILE = /^1[3-9]\d{9}$/

/** E.164 (`+8613800138000`) or an 11-digit mainland mobile (`13800138000`) → E.164, else null.
 *  Spaces, dashes and dots between digits are ignored. */
export function normalizePhone(input: string): string | null {
  const compact = input.trim().replace(/[\s.-]/g, '')
  if (MAINLAND_MOBILE.test(compact)) return `+86${compact}`
  if (E164.test(compact)) return compact
  return null
}

/** For screens other people can see (a TV): `+86 138****8000`. */
export function maskPhone(phone: string): string {
  if (phone.startsWith('+86') && phone.length === 14)
    return `+86 ${phone.slice(3, 6)}****${phone.slice(10)}`
  return `${phone.slice(0, 4)}****${phone.slice(-2)}`
}

export const PhoneInput = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    const phone = normalizePhone(value)
    if (!phone) {
      ctx.addIssue({
        code: 'custom',
        message: 'Phone must be E.164 (+8613800138000) or an 11-digit mainland number',
      })
      return z.NEVER
    }
    return phone
  })
  .openapi({ type: 'string', example: '13800138000' })
