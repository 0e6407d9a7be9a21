import { z } from '@hono/zod-openapi'
import { MoneySchema } from '../lib/money'
import { CursorQuery, LimitQuery } from '../lib/pagination'
import { PaymentViewSchema } from '../payments'

export const DEAL_STATUSES = [
  'upcoming',
  'active',
  'tipped',
  'succeeded',
  'failed',
  'sold_out',
] as const
export type DealStatus = (typeof DEAL_STATUSES)[number]

export const PARTICIPATION_STATUSES = [
  'pending_payment',
  'confirmed',
  'paid',
  'released',
  'refunded',
] as const
export type ParticipationStatus = (typeof PARTICIPATION_STATUSES)[number]

/** Team codes: 6 characters a TV remote can type, no 0/O, 1/I/L. */
export const TEAM_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'
/**
 * What a person may type: either case (the code is upper-cased before lookup). Both cases are
 * spelled out: the pattern goes into the OpenAPI document, and JSON Schema patterns have no flags.
 */
export const TEAM_CODE_INPUT = /^[ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789]{6}$/
const TEAM_CODE_HINT = 'six characters from A-Z and 2-9 (no I, L, O, 0 or 1)'

const Instant = z.iso
  .datetime({ offset: true })
  .openapi({ description: 'RFC 3339 date-time', example: '2026-12-12T12:00:00+08:00' })

const PositiveMoney = MoneySchema.refine((m) => m.amount > 0, {
  message: 'must be more than zero',
  path: ['amount'],
})

const Count = (max: number) => z.number().int().min(1).max(max)

export const MAX_STOCK = 1_000_000
export const MAX_TEAM_SIZE = 50
export const MIN_TEAM_WINDOW_SECONDS = 60
export const MAX_TEAM_WINDOW_SECONDS = 7 * 24 * 3600

export const CreateDealBody = z
  .object({
    product_id: z.string().min(1).max(64),
    deal_price: PositiveMoney.openapi({ description: 'Below the product price (the list price)' }),
    starts_at: Instant,
    ends_at: Instant,
    min_group_size: Count(MAX_STOCK)
      .optional()
      .openapi({
        description:
          'Confirmed participations that tip the deal; required for group deals, ' +
          'the team size for team deals',
      }),
    stock: Count(MAX_STOCK).openapi({ description: 'Units set aside for this deal' }),
    max_per_user: Count(MAX_STOCK),
    mode: z.enum(['group', 'team']).default('group'),
    team_size: z.number().int().min(2).max(MAX_TEAM_SIZE).optional(),
    team_window_seconds: z
      .number()
      .int()
      .min(MIN_TEAM_WINDOW_SECONDS)
      .max(MAX_TEAM_WINDOW_SECONDS)
      .optional()
      .openapi({ description: 'How long a team has to fill once opened (capped at ends_at)' }),
  })
  .strict()
  .superRefine((body, ctx) => {
    const issue = (field: string, message: string) => {
      ctx.addIssue({ code: 'custom', path: [field], message })
    }
    if (Date.parse(body.ends_at) <= Date.parse(body.starts_at)) {
      issue('ends_at', 'must be after starts_at')
    }
    if (body.max_per_user > body.stock) issue('max_per_user', 'cannot exceed stock')
    if (body.mode === 'group') {
      if (body.min_group_size === undefined) issue('min_group_size', 'Required')
      for (const field of ['team_size', 'team_window_seconds'] as const) {
        if (body[field] !== undefined) issue(field, 'only for mode "team"')
      }
      return
    }
    for (const field of ['team_size', 'team_window_seconds'] as const) {
      if (body[field] === undefined) issue(field, 'Required for mode "team"')
    }
    if (body.min_group_size !== undefined && body.min_group_size !== body.team_size) {
      issue('min_group_size', 'a team deal tips per team: must equal team_size')
    }
  })

export type CreateDealInput = z.infer<typeof CreateDealBody>

export const UpdateDealBody = z
  .object({
    deal_price: PositiveMoney.optional(),
    starts_at: Instant.optional(),
    ends_at: Instant.optional(),
    min_group_size: Count(MAX_STOCK).optional(),
    stock: Count(MAX_STOCK).optional(),
    max_per_user: Count(MAX_STOCK).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to update' })

export type UpdateDealInput = z.infer<typeof UpdateDealBody>

export const DealIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'deal_01jz3k4m5n6p7q8r9s0t1v2w3x' }),
})

export const DealListQuery = z.object({
  status: z
    .enum(['active', 'upcoming', 'ended'])
    .default('active')
    .openapi({
      param: { name: 'status', in: 'query' },
      description:
        'active: ending soonest first; upcoming: starting soonest first; ended: most recent first',
    }),
  limit: LimitQuery,
  cursor: CursorQuery,
})

export const ImageSchema = z.object({
  url: z.string(),
  width: z.number().int(),
  height: z.number().int(),
})

export const DealProductSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    brand: z.string(),
    price: MoneySchema,
    image: z.union([ImageSchema, z.null()]),
  })
  .openapi('DealProduct')

export const DealSchema = z
  .object({
    id: z.string().openapi({ example: 'deal_01jz3k4m5n6p7q8r9s0t1v2w3x' }),
    product: DealProductSchema,
    mode: z.enum(['group', 'team']),
    deal_price: MoneySchema,
    list_price: MoneySchema,
    starts_at: z.string(),
    ends_at: z.string(),
    min_group_size: z.number().int(),
    participants: z
      .number()
      .int()
      .openapi({ description: 'Confirmed participations (funds held or taken)' }),
    stock: z.number().int(),
    stock_remaining: z.number().int(),
    max_per_user: z.number().int(),
    team_size: z.number().int().nullable(),
    team_window_seconds: z.number().int().nullable(),
    status: z.enum(DEAL_STATUSES),
    tipped_at: z.string().nullable(),
  })
  .openapi('Deal')

export type DealView = z.infer<typeof DealSchema>

export const DealDetailSchema = DealSchema.extend({
  server_time: z
    .string()
    .openapi({ description: 'Now, by the server clock: TVs run their countdowns from it' }),
}).openapi('DealDetail')

export const DealListSchema = z
  .object({
    items: z.array(DealSchema),
    next_cursor: z.string().nullable(),
    server_time: z.string(),
  })
  .openapi('DealList')

export const JoinBody = z
  .object({
    quantity: z.number().int().min(1).max(99),
    team_code: z
      .string()
      .regex(TEAM_CODE_INPUT, TEAM_CODE_HINT)
      .optional()
      .openapi({ description: 'Team deals: join this team; omit to open a new team' }),
  })
  .strict()

export const TeamSchema = z
  .object({
    code: z.string().openapi({ example: 'K7QF3M' }),
    size: z.number().int(),
    members: z
      .number()
      .int()
      .openapi({ description: 'Places taken (awaiting confirmation, held or paid)' }),
    confirmed: z.number().int(),
    status: z.enum(['forming', 'filled', 'failed']),
    expires_at: z.string(),
  })
  .openapi('DealTeam')

export const ParticipationSchema = z
  .object({
    id: z.string(),
    deal_id: z.string(),
    status: z.enum(PARTICIPATION_STATUSES),
    quantity: z.number().int(),
    unit_price: MoneySchema,
    amount: MoneySchema,
    team: z.union([TeamSchema, z.null()]),
    order_id: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('DealParticipation')

export const JoinResponse = z
  .object({ participation: ParticipationSchema, payment: PaymentViewSchema })
  .openapi('DealJoin')

export const TeamParam = z.object({
  id: DealIdParam.shape.id,
  code: z
    .string()
    .regex(TEAM_CODE_INPUT, TEAM_CODE_HINT)
    .openapi({ param: { name: 'code', in: 'path' }, example: 'K7QF3M' }),
})
