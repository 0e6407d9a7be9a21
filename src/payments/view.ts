import { z } from '@hono/zod-openapi'
import { MoneySchema, money } from '../lib/money'
import { iso } from '../lib/time'
import { publicUrl } from '../pages/public-url'
import type { Payment } from './purposes'
import { RECEIPT_STATUSES, signReceipt } from './receipts'

export const PAYMENT_STATUSES = [
  'requires_confirmation',
  'requires_capture',
  'succeeded',
  'canceled',
  'expired',
  'failed',
  'partially_refunded',
  'refunded',
] as const

export const PaymentViewSchema = z
  .object({
    id: z.string().openapi({ example: 'pay_01jz3k4m5n6p7q8r9s0t1v2w3x' }),
    status: z.enum(PAYMENT_STATUSES),
    amount: MoneySchema,
    amount_refunded: MoneySchema.openapi({
      description: 'Refunded so far: all of amount when refunded, part when partially_refunded',
    }),
    refunded: MoneySchema.openapi({ description: 'The same as amount_refunded (its first name)' }),
    purpose: z.object({ type: z.enum(['order', 'deal', 'bill']), id: z.string() }),
    capture: z.enum(['automatic', 'manual']),
    device_id: z.string().nullable().openapi({
      description: 'The TV that started it (an id from /v1/me/devices), or null when a phone did',
    }),
    payment_method: z
      .string()
      .nullable()
      .openapi({ description: '"wallet" or a payment method id, once confirmed' }),
    created_at: z.string(),
    expires_at: z.string(),
    confirmation: z.object({
      url: z.string().openapi({ description: 'What the TV renders as a QR code for the phone' }),
      code: z.string().openapi({ description: 'Short code shown on the TV and the phone prompt' }),
    }),
    receipt: z.string().optional().openapi({
      description: 'Compact JWS (ES256) once money is held, taken or refunded; verify: JWKS',
    }),
  })
  .openapi('Payment')

export type PaymentView = z.infer<typeof PaymentViewSchema>

export function confirmationUrl(env: { PUBLIC_BASE_URL: string }, payment: Payment): string {
  return publicUrl(env, `/pay/${payment.id}?code=${payment.confirmationCode}`)
}

/** `audience`: the device reading it, when that is not the one that started it (see receipts). */
export async function toPaymentView(
  env: Env,
  payment: Payment,
  now: number,
  audience?: string,
): Promise<PaymentView> {
  const signed = RECEIPT_STATUSES.has(payment.status)
  const receipt = signed ? await signReceipt(env, payment, now, audience) : undefined
  return {
    id: payment.id,
    status: payment.status,
    amount: money(payment.amount),
    amount_refunded: money(payment.refundedAmount),
    refunded: money(payment.refundedAmount),
    purpose: { type: payment.purpose.type, id: payment.purpose.id },
    capture: payment.capture,
    device_id: payment.startedByDeviceId,
    payment_method: payment.method,
    created_at: iso(payment.createdAt),
    expires_at: iso(payment.expiresAt),
    confirmation: { url: confirmationUrl(env, payment), code: payment.confirmationCode },
    ...(receipt ? { receipt } : {}),
  }
}
