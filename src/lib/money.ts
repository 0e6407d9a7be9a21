import { z } from '@hono/zod-openapi'

export const CURRENCY = 'CNY' as const

/** Money is always integer minor units (fen). 129900 = 1,299.00 yuan. */
export const MoneySchema = z
  .object({
    amount: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    currency: z.literal(CURRENCY),
  })
  .openapi('Money', { example: { amount: 129900, currency: 'CNY' } })

export type Money = z.infer<typeof MoneySchema>

export function money(amount: number): Money {
  if (!Number.isSafeInteger(amount))
    throw new Error(`money amount must be an integer, got ${amount}`)
  return { amount, currency: CURRENCY }
}
