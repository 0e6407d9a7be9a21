import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { signingKeys } from '../auth/keys'
import type { AppEnv } from '../env'
import { requireAdmin } from '../http/admin'
import { principalOf, requireDeviceOrUser, requireUser } from '../http/auth'
import { idempotent } from '../http/idempotency'
import { json, problem } from '../http/openapi'
import { CursorQuery, LimitQuery, listSchema } from '../lib/pagination'
import { money, MoneySchema } from '../lib/money'
import { purposes, refundRails } from '../wiring'
import { rejectCardNumbers } from './card-numbers'
import { confirmPayment } from './confirm'
import { cancelPayment } from './cancel'
import { addPaymentMethod, deletePaymentMethod, listPaymentMethods } from './methods'
import { listUserPayments, readPaymentWaiting } from './queries'
import { signReceipt } from './receipts'
import { refundPayment } from './refunds'
import {
  ConfirmBody,
  ConfirmResponse,
  CreditBody,
  CreditParam,
  MethodIdParam,
  PaymentIdParam,
  PaymentMethodBody,
  PaymentMethodSchema,
  PaymentQuery,
  RefundBody,
  WalletSchema,
} from './schemas'
import { PAYMENT_STATUSES, PaymentViewSchema, toPaymentView } from './view'
import { creditWallet, walletBalance } from './wallet'

const bearer = [{ bearer: [] }]
const CreditResponse = z
  .object({ user_id: z.string(), credited: MoneySchema, wallet: WalletSchema })
  .openapi('WalletCredit')
const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description: 'Replays the first response for 24 h',
    }),
})

const getPayment = createRoute({
  method: 'get',
  path: '/v1/payments/{id}',
  tags: ['payments'],
  summary: 'Read a payment (the user or any of their TVs); ?wait=N holds until it changes',
  security: bearer,
  middleware: [requireDeviceOrUser] as const,
  request: { params: PaymentIdParam, query: PaymentQuery },
  responses: {
    200: json(PaymentViewSchema, 'The payment'),
    404: problem('Not yours or unknown'),
  },
})

const confirm = createRoute({
  method: 'post',
  path: '/v1/payments/{id}/confirm',
  tags: ['payments'],
  summary: 'Confirm on the phone with a payment method and the PIN (user token only)',
  security: bearer,
  middleware: [requireUser, rejectCardNumbers, idempotent] as const,
  request: {
    params: PaymentIdParam,
    headers: idempotencyHeader,
    body: { content: { 'application/json': { schema: ConfirmBody } }, required: true },
  },
  responses: {
    200: json(ConfirmResponse, 'Confirmed: succeeded, or requires_capture (held, manual capture)'),
    402: problem('insufficient_funds or payment_declined: the payment stays confirmable'),
    403: problem('user_token_required or invalid_pin (with attempts_remaining)'),
    404: problem('Not yours or unknown'),
    409: problem('payment_expired, payment_not_confirmable, idempotency_in_progress'),
    423: problem('pin_locked for 15 minutes after 5 wrong PINs'),
  },
})

const cancel = createRoute({
  method: 'post',
  path: '/v1/payments/{id}/cancel',
  tags: ['payments'],
  summary: 'Cancel an open payment (the starting device or its user); holds are released',
  security: bearer,
  middleware: [requireDeviceOrUser] as const,
  request: { params: PaymentIdParam },
  responses: {
    200: json(PaymentViewSchema, 'Canceled'),
    409: problem('invalid_transition'),
  },
})

const refund = createRoute({
  method: 'post',
  path: '/v1/payments/{id}/refund',
  tags: ['admin'],
  summary: 'Refund a succeeded payment in full or in part (admin)',
  security: bearer,
  middleware: [requireAdmin, idempotent] as const,
  request: {
    params: PaymentIdParam,
    headers: idempotencyHeader,
    body: { content: { 'application/json': { schema: RefundBody } }, required: false },
  },
  responses: {
    200: json(PaymentViewSchema, 'Refunded'),
    409: problem('invalid_transition or refund_exceeds_amount'),
  },
})

const listMine = createRoute({
  method: 'get',
  path: '/v1/me/payments',
  tags: ['payments'],
  summary: "The person's payments, newest first; ?status=requires_confirmation awaits the phone",
  security: bearer,
  middleware: [requireUser] as const,
  request: {
    query: z.object({
      status: z
        .enum(PAYMENT_STATUSES)
        .optional()
        .openapi({ param: { name: 'status', in: 'query' } }),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: json(listSchema(PaymentViewSchema, 'PaymentList'), 'Payments') },
})

const addMethod = createRoute({
  method: 'post',
  path: '/v1/me/payment-methods',
  tags: ['payments'],
  summary: 'Save a provider token (never a card number)',
  security: bearer,
  middleware: [requireUser, rejectCardNumbers] as const,
  request: {
    body: { content: { 'application/json': { schema: PaymentMethodBody } }, required: true },
  },
  responses: {
    201: json(PaymentMethodSchema, 'Saved'),
    400: problem('card_number_not_allowed or validation_failed'),
  },
})

const listMethods = createRoute({
  method: 'get',
  path: '/v1/me/payment-methods',
  tags: ['payments'],
  summary: 'Saved payment methods',
  security: bearer,
  middleware: [requireUser] as const,
  responses: { 200: json(z.object({ items: z.array(PaymentMethodSchema) }), 'Saved methods') },
})

const deleteMethod = createRoute({
  method: 'delete',
  path: '/v1/me/payment-methods/{id}',
  tags: ['payments'],
  summary: 'Remove a saved payment method',
  security: bearer,
  middleware: [requireUser] as const,
  request: { params: MethodIdParam },
  responses: { 204: { description: 'Removed' }, 404: problem('Unknown') },
})

const wallet = createRoute({
  method: 'get',
  path: '/v1/me/wallet',
  tags: ['payments'],
  summary: 'Wallet balance (spendable now) and held (on hold for deal joins)',
  security: bearer,
  middleware: [requireDeviceOrUser] as const,
  responses: { 200: json(WalletSchema, 'Wallet') },
})

const credit = createRoute({
  method: 'post',
  path: '/v1/admin/wallets/{user_id}/credits',
  tags: ['admin'],
  summary: "Credit a user's wallet from funding (admin)",
  security: bearer,
  middleware: [requireAdmin, idempotent] as const,
  request: {
    params: CreditParam,
    headers: idempotencyHeader,
    body: { content: { 'application/json': { schema: CreditBody } }, required: true },
  },
  responses: {
    201: json(CreditResponse, 'Credited'),
    404: problem('Unknown user'),
  },
})

export const paymentRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getPayment, async (c) => {
    const { id } = c.req.valid('param')
    const { wait, seen_status } = c.req.valid('query')
    const principal = principalOf(c)
    const payment = await readPaymentWaiting(
      c.env,
      purposes,
      principal,
      id,
      { waitSeconds: wait ?? 0, seenStatus: seen_status },
      Date.now(),
    )
    const audience = principal.kind === 'device' ? principal.deviceId : undefined
    return c.json(await toPaymentView(c.env, payment, Date.now(), audience), 200)
  })
  .openapi(confirm, async (c) => {
    const { id } = c.req.valid('param')
    const body = c.req.valid('json')
    const now = Date.now()
    const payment = await confirmPayment(c.env, purposes, {
      userId: principalOf(c).userId,
      paymentId: id,
      paymentMethod: body.payment_method,
      pin: body.pin,
      shippingAddress: body.shipping_address,
      now,
    })
    const receipt = await signReceipt(c.env, payment, now)
    const view = await toPaymentView(c.env, payment, now)
    return c.json({ payment: { ...view, receipt }, receipt }, 200)
  })
  .openapi(cancel, async (c) => {
    const now = Date.now()
    const id = c.req.valid('param').id
    const payment = await cancelPayment(c.env, purposes, principalOf(c), id, now)
    return c.json(await toPaymentView(c.env, payment, now), 200)
  })
  .openapi(refund, async (c) => {
    const { id } = c.req.valid('param')
    const body = (await c.req.text()) ? c.req.valid('json') : {}
    const now = Date.now()
    await signingKeys(c.env.JWT_KEYS) // the answer carries a receipt: 503 before the refund, not after
    const payment = await refundPayment(c.env, purposes, refundRails, id, body.amount?.amount, now)
    return c.json(await toPaymentView(c.env, payment, now), 200)
  })
  .openapi(listMine, async (c) => {
    const { status, limit, cursor } = c.req.valid('query')
    const now = Date.now()
    const userId = principalOf(c).userId
    const page = await listUserPayments(c.env, purposes, userId, { status, limit, cursor }, now)
    const items = await Promise.all(page.items.map((p) => toPaymentView(c.env, p, now)))
    return c.json({ items, next_cursor: page.nextCursor }, 200)
  })
  .openapi(addMethod, async (c) => {
    const body = c.req.valid('json')
    const userId = principalOf(c).userId
    return c.json(await addPaymentMethod(c.env, userId, body.provider, body.token, Date.now()), 201)
  })
  .openapi(listMethods, async (c) => {
    return c.json({ items: await listPaymentMethods(c.env, principalOf(c).userId) }, 200)
  })
  .openapi(deleteMethod, async (c) => {
    await deletePaymentMethod(c.env, principalOf(c).userId, c.req.valid('param').id, Date.now())
    return c.body(null, 204)
  })
  .openapi(wallet, async (c) => {
    const w = await walletBalance(c.env.DB, principalOf(c).userId)
    return c.json({ balance: money(w.balance), held: money(w.held) }, 200)
  })
  .openapi(credit, async (c) => {
    const { user_id } = c.req.valid('param')
    const { amount, reason } = c.req.valid('json')
    const w = await creditWallet(c.env, user_id, amount.amount, reason, Date.now())
    const wallet = { balance: money(w.balance), held: money(w.held) }
    return c.json({ user_id, credited: money(amount.amount), wallet }, 201)
  })

export type PaymentRoutes = typeof paymentRoutes
