import { z } from '@hono/zod-openapi'
import { freeText } from '../lib/card-numbers'
import { MoneySchema } from '../lib/money'
import { PAYMENT_STATUSES, PaymentViewSchema } from './view'

export const PaymentIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'pay_01jz3k4m5n6p7q8r9s0t1v2w3x' }),
})

export const ShippingAddressSchema = z
  .object({
    name: freeText(z.string().trim().min(1).max(50)),
    phone: z
      .string()
      .regex(/^(1[3-9]\d{9}|\+[1-9]\d{6,14})$/, 'an 11-digit mainland mobile or E.164 (+86...)'),
    province: z.string().trim().min(1).max(30),
    city: z.string().trim().min(1).max(30),
    district: z.string().trim().min(1).max(30).optional(),
    line1: freeText(z.string().trim().min(1).max(200)),
    postal_code: z.string().regex(/^\d{6}$/, '6 digits'),
  })
  .strict()
  .openapi('ShippingAddress')

export const ConfirmBody = z
  .object({
    payment_method: z
      .string()
      .min(1)
      .max(64)
      .openapi({ example: 'wallet', description: '"wallet" or a payment method id' }),
    pin: z
      .string()
      .regex(/^\d{6}$/, 'the 6-digit payment PIN')
      .openapi({ example: '246810' }),
    shipping_address: ShippingAddressSchema.optional().openapi({
      description: 'Required for orders',
    }),
  })
  .strict()

export const ConfirmResponse = z
  .object({ payment: PaymentViewSchema, receipt: z.string() })
  .openapi('ConfirmedPayment')

export const PaymentQuery = z.object({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(25)
    .optional()
    .openapi({
      param: { name: 'wait', in: 'query' },
      description: 'Hold up to N seconds (≤ 25) until the status changes',
    }),
  seen_status: z
    .enum(PAYMENT_STATUSES)
    .optional()
    .openapi({
      param: { name: 'seen_status', in: 'query' },
      description: 'The status the client last saw: answer at once if it differs',
    }),
})

/** Money in a request that moves money: more than zero. */
const PositiveMoney = MoneySchema.refine((m) => m.amount > 0, {
  message: 'must be more than zero',
  path: ['amount'],
})

export const RefundBody = z
  .object({
    amount: PositiveMoney.optional().openapi({ description: 'Omit to refund all that is left' }),
  })
  .strict()

export const PaymentMethodBody = z
  .object({
    provider: z.enum(['sandbox']),
    token: z.string().regex(/^tok_[A-Za-z0-9_]{1,64}$/, 'a provider token such as tok_visa'),
  })
  .strict()

export const PaymentMethodSchema = z
  .object({
    id: z.string(),
    provider: z.string(),
    brand: z.string(),
    last4: z.string(),
    exp_month: z.number().int(),
    exp_year: z.number().int(),
    created_at: z.string(),
  })
  .openapi('PaymentMethod')

export const WalletSchema = z.object({ balance: MoneySchema, held: MoneySchema }).openapi('Wallet')

export const CreditBody = z
  .object({
    amount: PositiveMoney,
    reason: freeText(z.string().trim().min(1).max(200)),
  })
  .strict()

export const CreditParam = z.object({
  user_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'user_id', in: 'path' } }),
})

export const MethodIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
})
