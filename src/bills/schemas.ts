import { z } from '@hono/zod-openapi'
import { freeText } from '../lib/card-numbers'
import { MoneySchema } from '../lib/money'

export const BILLER_CATEGORIES = ['electricity', 'water', 'gas', 'broadband', 'tv'] as const
export const AMOUNT_RULES = ['exact', 'partial', 'any'] as const
export const BILL_STATUSES = ['unpaid', 'partially_paid', 'paid'] as const

/** Bills are capped at 100 million yuan: far above any household bill, far below float trouble. */
export const MAX_BILL_AMOUNT = 10_000_000_000

export const PositiveMoneySchema = z
  .object({
    amount: z.number().int().positive().max(MAX_BILL_AMOUNT),
    currency: z.literal('CNY'),
  })
  .strict()
  .openapi('PositiveMoney', { example: { amount: 12850, currency: 'CNY' } })

export const BillerCategorySchema = z.enum(BILLER_CATEGORIES)

export const BillerRulesSchema = z
  .object({
    amount: z.enum(AMOUNT_RULES).openapi({
      description:
        'exact: only the amount due; partial: any part of it; any: any amount (prepaid top-up)',
    }),
    min_amount: z.union([MoneySchema, z.null()]).openapi({
      description: 'Smallest single payment, except when it settles the bill',
    }),
    max_amount: z.union([MoneySchema, z.null()]).openapi({ description: 'Largest single payment' }),
    payable_after_due: z.boolean(),
  })
  .openapi('BillerRules')

export const BillerSchema = z
  .object({
    id: z.string().openapi({ example: 'blr_01jz3k4m5n6p7q8r9s0t1v2w3x' }),
    name: z.string().openapi({ example: '国网上海市电力公司' }),
    category: BillerCategorySchema,
    account_pattern: z.string().openapi({ example: '^\\d{10}$' }),
    rules: BillerRulesSchema,
    created_at: z.string(),
  })
  .openapi('Biller')

export const CreateBillerBody = z
  .object({
    name: freeText(z.string().trim().min(1).max(80)),
    category: BillerCategorySchema,
    account_pattern: z.string().min(1).max(200).openapi({
      description:
        'Anchored regular expression (^…$), at most 100 characters, no nested quantifiers',
      example: '^\\d{10}$',
    }),
    rules: z
      .object({
        amount: z.enum(AMOUNT_RULES).default('exact'),
        min_amount: PositiveMoneySchema.optional(),
        max_amount: PositiveMoneySchema.optional(),
        payable_after_due: z.boolean().default(true),
      })
      .strict()
      .optional(),
  })
  .strict()
  .openapi('CreateBiller')

export const BillerCreatedSchema = z
  .object({
    biller: BillerSchema,
    feed_secret: z
      .string()
      .openapi({ description: 'Shown once. HMAC-SHA256 key for X-Signature.' }),
  })
  .openapi('BillerCreated')

export const RotateSecretBody = z
  .object({
    revoke_previous: z.boolean().optional().openapi({
      description:
        'true: the replaced secret stops verifying now (a leaked secret); default: it keeps verifying for 24 h',
    }),
  })
  .strict()
  .openapi('RotateFeedSecret')

export const SecretRotatedSchema = z
  .object({
    feed_secret: z.string().openapi({ description: 'Shown once; signs from now on' }),
    previous_valid_until: z.string().openapi({
      description:
        'Until when the secret it replaces still verifies (now with revoke_previous); any older one stops now',
    }),
  })
  .openapi('FeedSecretRotated')

export const BillerRefSchema = z.object({
  id: z.string(),
  name: z.string(),
  category: BillerCategorySchema,
})

export const BillSchema = z
  .object({
    id: z.string().openapi({ example: 'bill_01jz3k4m5n6p7q8r9s0t1v2w3x' }),
    biller: BillerRefSchema,
    account_number_masked: z.string().openapi({ example: '****7890' }),
    nickname: z.string().nullable().openapi({ example: '家里电费' }),
    bill_ref: z.string(),
    period: z.string().openapi({ example: '2026-04' }),
    amount_due: MoneySchema,
    amount_paid: MoneySchema,
    amount_remaining: MoneySchema,
    due_date: z
      .string()
      .openapi({ example: '2026-05-20', description: 'Calendar date, China time' }),
    status: z.enum(BILL_STATUSES),
    overdue: z.boolean(),
  })
  .openapi('Bill')

export const BillerAccountSchema = z
  .object({
    id: z.string().openapi({ example: 'ba_01jz3k4m5n6p7q8r9s0t1v2w3x' }),
    biller: BillerRefSchema,
    account_number_masked: z.string().openapi({ example: '****7890' }),
    nickname: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('BillerAccount')

export const LinkAccountBody = z
  .object({
    biller_id: z.string().min(1).max(64),
    account_number: z.string().trim().min(1).max(64),
    nickname: freeText(z.string().trim().min(1).max(40))
      .optional()
      .openapi({ example: '家里电费' }),
  })
  .strict()
  .openapi('LinkBillerAccount')

export const PayBillBody = z
  .object({
    amount: PositiveMoneySchema.optional().openapi({
      description: 'Omit to pay everything still due',
    }),
  })
  .strict()
  .openapi('PayBill')

export const FeedLineSchema = z
  .object({
    account_number: z.string().min(1).max(64),
    bill_ref: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/, 'must be 1-64 of A-Z a-z 0-9 . _ : / -'),
    period: z.string().min(1).max(32).openapi({ example: '2026-04' }),
    amount_due: PositiveMoneySchema,
    due_date: z.string().openapi({ example: '2026-05-20', description: 'YYYY-MM-DD, China time' }),
  })
  .strict()
  .openapi('BillFeedLine')

export const FEED_MAX_LINES = 5000

export const FeedBody = z
  .object({
    bills: z
      .array(z.unknown())
      .min(1)
      .max(FEED_MAX_LINES)
      .openapi({
        description: 'BillFeedLine objects; each line is checked on its own',
        items: { $ref: '#/components/schemas/BillFeedLine' },
      }),
  })
  .strict()
  .openapi('BillFeed')

export const FeedRejectionSchema = z.object({
  index: z.number().int(),
  bill_ref: z.string().optional(),
  reason: z.enum([
    'invalid_line',
    'invalid_account_number',
    'duplicate_bill_ref',
    'bill_already_paid',
    'payment_in_progress',
  ]),
  detail: z.string(),
})

export const FeedResultSchema = z
  .object({
    upserted: z
      .number()
      .int()
      .openapi({ description: 'Lines that landed (created, changed or already identical)' }),
    rejected: z.array(FeedRejectionSchema),
  })
  .openapi('BillFeedResult')

export const SettlementSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['payment', 'refund']),
    amount: MoneySchema,
    at: z.string(),
    payment_id: z.string(),
    bill: z.object({
      id: z.string(),
      bill_ref: z.string(),
      account_number: z.string(),
      period: z.string(),
      amount_due: MoneySchema,
      amount_paid: MoneySchema,
      status: z.enum(BILL_STATUSES),
    }),
  })
  .openapi('BillSettlement')

export const NotificationSchema = z
  .object({
    id: z.string(),
    kind: z.string().openapi({ example: 'bill_due' }),
    title: z.string(),
    body: z.string(),
    data: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .openapi('Notification')
