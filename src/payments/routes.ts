import { OpenAPIHono, z } from '@hono/zod-openapi'
import { signingKeys } from '../auth/keys'
import type { AppEnv } from '../env'
import { requireAdmin } from '../http/admin'
import { principalOf, requireDeviceOrUser, requireUser } from '../http/auth'
import { idempotent } from '../http/idempotency'
import { access, json, route } from '../http/openapi'
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

const CreditResponse = z
  .object({ user_id: z.string(), credited: MoneySchema, wallet: WalletSchema })
  .openapi('WalletCredit')

const getPayment = route({
  operationId: 'getPayment',
  access: access.deviceOrUser,
  problems: { not_found: 'Not yours or unknown' },
  method: 'get',
  path: '/v1/payments/{id}',
  tags: ['payments'],
  summary: 'Read a payment (the user or any of their TVs); ?wait=N holds until it changes',
  description:
    "The paying user and any of the user's paired TVs may read it, not only the TV that started " +
    'it (a household TV may follow a payment another TV started, e.g. a bill handed to it). ' +
    'Acting on it stays narrower: cancel and the Alipay QR are for the starting TV or the user.',
  middleware: [requireDeviceOrUser] as const,
  request: { params: PaymentIdParam, query: PaymentQuery },
  responses: { 200: json(PaymentViewSchema, 'The payment') },
})

const confirm = route({
  operationId: 'confirmPayment',
  access: access.user,
  rateLimited: 'other PIN checks for this account are running right now (Retry-After: 1)',
  problems: {
    card_number_not_allowed: 'the body holds something that looks like a card number',
    insufficient_funds: 'the wallet cannot cover it; the payment stays confirmable',
    payment_declined: 'the card was declined; the payment stays confirmable',
    invalid_pin: 'wrong PIN (attempts_remaining says how many are left)',
    pin_not_set: 'set a payment PIN first (PUT /v1/me/payment-pin)',
    pin_locked: 'locked for 15 minutes after 5 wrong PINs',
    not_found: 'Not yours or unknown',
    payment_expired: 'start a new payment from the TV',
    payment_not_confirmable: 'already confirmed, canceled or otherwise settled',
    shipping_address_required: 'an order needs shipping_address',
    bill_changed: 'the bill changed since the payment started',
    bill_already_paid: 'the bill was paid meanwhile',
    bill_not_payable: 'the bill is past due',
    deal_not_active: 'the deal ended',
    team_closed: 'the team closed',
    provider_unavailable: 'the card gateway did not answer; try again',
  },
  method: 'post',
  path: '/v1/payments/{id}/confirm',
  tags: ['payments'],
  summary: 'Confirm on the phone with a payment method and the PIN (user token only)',
  middleware: [requireUser, rejectCardNumbers, idempotent] as const,
  request: {
    params: PaymentIdParam,
    body: { content: { 'application/json': { schema: ConfirmBody } }, required: true },
  },
  responses: {
    200: json(ConfirmResponse, 'Confirmed: succeeded, or requires_capture (held, manual capture)'),
  },
})

const cancel = route({
  operationId: 'cancelPayment',
  access: access.deviceOrUser,
  problems: {
    not_found: 'Unknown, not yours, or a TV of the household that did not start it',
    invalid_transition: 'the payment is no longer open',
  },
  method: 'post',
  path: '/v1/payments/{id}/cancel',
  tags: ['payments'],
  summary: 'Cancel an open payment (the starting device or its user); holds are released',
  middleware: [requireDeviceOrUser] as const,
  request: { params: PaymentIdParam },
  responses: {
    200: json(PaymentViewSchema, 'Canceled'),
  },
})

const refund = route({
  operationId: 'refundPayment',
  access: access.admin,
  problems: {
    not_found: 'No such payment',
    invalid_transition: 'only a succeeded (or partly refunded) payment can be refunded',
    refund_exceeds_amount: 'more than what is left to refund',
    conflict: 'another refund went first, or the payee account cannot cover it',
    payment_declined: 'the card gateway refused the refund',
    provider_unavailable: 'the gateway did not answer or is not configured',
    provider_error: 'the gateway answered with an error',
    service_misconfigured: 'JWT_KEYS (the receipt) is not configured',
  },
  method: 'post',
  path: '/v1/payments/{id}/refund',
  tags: ['admin'],
  summary: 'Refund a succeeded payment in full or in part (admin)',
  middleware: [requireAdmin, idempotent] as const,
  request: {
    params: PaymentIdParam,
    body: { content: { 'application/json': { schema: RefundBody } }, required: false },
  },
  responses: {
    200: json(PaymentViewSchema, 'Refunded'),
  },
})

const listMine = route({
  operationId: 'listMyPayments',
  access: access.user,
  method: 'get',
  path: '/v1/me/payments',
  tags: ['payments'],
  summary: "The person's payments, newest first; ?status=requires_confirmation awaits the phone",
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

const addMethod = route({
  operationId: 'addPaymentMethod',
  access: access.user,
  problems: {
    card_number_not_allowed: 'the body holds something that looks like a card number',
    validation_failed: 'unknown provider, or the provider refused the token',
    limit_exceeded: 'too many saved methods',
  },
  method: 'post',
  path: '/v1/me/payment-methods',
  tags: ['payments'],
  summary: 'Save a provider token (never a card number)',
  middleware: [requireUser, rejectCardNumbers] as const,
  request: {
    body: { content: { 'application/json': { schema: PaymentMethodBody } }, required: true },
  },
  responses: {
    201: json(PaymentMethodSchema, 'Saved'),
  },
})

const listMethods = route({
  operationId: 'listPaymentMethods',
  access: access.user,
  method: 'get',
  path: '/v1/me/payment-methods',
  tags: ['payments'],
  summary: 'Saved payment methods',
  middleware: [requireUser] as const,
  responses: { 200: json(z.object({ items: z.array(PaymentMethodSchema) }), 'Saved methods') },
})

const deleteMethod = route({
  operationId: 'deletePaymentMethod',
  access: access.user,
  problems: { not_found: 'No such payment method' },
  method: 'delete',
  path: '/v1/me/payment-methods/{id}',
  tags: ['payments'],
  summary: 'Remove a saved payment method',
  middleware: [requireUser] as const,
  request: { params: MethodIdParam },
  responses: { 204: { description: 'Removed' } },
})

const wallet = route({
  operationId: 'getMyWallet',
  access: access.deviceOrUser,
  method: 'get',
  path: '/v1/me/wallet',
  tags: ['payments'],
  summary: 'Wallet balance (spendable now) and held (on hold for deal joins)',
  middleware: [requireDeviceOrUser] as const,
  responses: { 200: json(WalletSchema, 'Wallet') },
})

const credit = route({
  operationId: 'creditWallet',
  access: access.admin,
  problems: {
    not_found: 'No such user',
    conflict: 'the balance would exceed what an amount can hold',
    card_number_not_allowed: 'the body holds something that looks like a card number',
  },
  method: 'post',
  path: '/v1/admin/wallets/{user_id}/credits',
  tags: ['admin'],
  summary: "Credit a user's wallet from funding (admin)",
  middleware: [requireAdmin, idempotent] as const,
  request: {
    params: CreditParam,
    body: { content: { 'application/json': { schema: CreditBody } }, required: true },
  },
  responses: {
    201: json(CreditResponse, 'Credited'),
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
