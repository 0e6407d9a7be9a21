import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { principalOf, requireDeviceOrUser } from '../http/auth'
import { requireAdmin } from '../http/admin'
import { idempotent } from '../http/idempotency'
import { access, json, route } from '../http/openapi'
import { CursorQuery, LimitQuery, listSchema } from '../lib/pagination'
import { PaymentViewSchema } from '../payments'
import { linkAccount, listAccounts, unlinkAccount } from './accounts'
import { createBiller, listBillers, rotateFeedSecret } from './billers'
import { billerFeedAccess, requireBillerSignature } from './feed-auth'
import { ingestFeed, listSettlements } from './feed'
import { findVisibleBill, listMyBills, toBillView } from './lookup'
import { payBill } from './pay'
import { listNotifications } from './reminders'
import {
  BillerAccountSchema,
  BillerCategorySchema,
  BillerCreatedSchema,
  BillerSchema,
  BillSchema,
  CreateBillerBody,
  FeedBody,
  FeedLineSchema,
  FeedResultSchema,
  LinkAccountBody,
  NotificationSchema,
  PayBillBody,
  RotateSecretBody,
  SecretRotatedSchema,
  SettlementSchema,
} from './schemas'
import { iso } from '../lib/time'
import { purposes } from '../wiring'

const IdParam = (name: string, example: string) =>
  z.object({
    id: z
      .string()
      .min(1)
      .max(64)
      .openapi({ param: { name: 'id', in: 'path' }, example, description: name }),
  })

const signedFeed = {
  headers: z.object({
    'x-biller-id': z.string().openapi({ example: 'blr_01jz3k4m5n6p7q8r9s0t1v2w3x' }),
    'x-signature': z.string().openapi({
      example: 't=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
    }),
  }),
}

const createBillerRoute = route({
  operationId: 'createBiller',
  access: access.admin,
  problems: {
    unsafe_pattern: 'account_pattern could backtrack catastrophically',
    service_misconfigured: 'BILLER_FEED_KEY is not configured',
  },
  method: 'post',
  path: '/v1/admin/billers',
  tags: ['bills'],
  summary: 'Register a biller; its feed secret is shown once',
  middleware: [requireAdmin] as const,
  request: {
    body: { required: true, content: { 'application/json': { schema: CreateBillerBody } } },
  },
  responses: {
    201: json(BillerCreatedSchema, 'Registered'),
  },
})

const rotateSecretRoute = route({
  operationId: 'rotateBillerFeedSecret',
  access: access.admin,
  problems: {
    not_found: 'No such biller',
    service_misconfigured: 'BILLER_FEED_KEY is not configured',
  },
  method: 'post',
  path: '/v1/admin/billers/{id}/rotate-secret',
  tags: ['bills'],
  summary:
    'New feed secret; the replaced one keeps verifying for 24 hours, or not at all with revoke_previous',
  middleware: [requireAdmin] as const,
  request: {
    params: IdParam('Biller id', 'blr_01jz3k4m5n6p7q8r9s0t1v2w3x'),
    body: { content: { 'application/json': { schema: RotateSecretBody } }, required: false },
  },
  responses: {
    200: json(SecretRotatedSchema, 'Rotated'),
  },
})

const listBillersRoute = route({
  operationId: 'listBillers',
  access: access.public,
  method: 'get',
  path: '/v1/billers',
  tags: ['bills'],
  summary: 'Billers, with their account-number pattern and payment rules',
  request: {
    query: z.object({
      category: BillerCategorySchema.optional(),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: {
    200: json(listSchema(BillerSchema, 'BillerList'), 'Billers by id'),
  },
})

const feedBillsRoute = route({
  operationId: 'feedBills',
  access: billerFeedAccess,
  problems: {
    signature_expired: 't is more than 5 minutes off',
    signature_replayed: 'this exact request was accepted before',
  },
  method: 'post',
  path: '/v1/biller-feed/bills',
  tags: ['biller feed'],
  summary: 'Signed: upsert bills by (biller, bill_ref); bad lines are reported, good lines land',
  description:
    'X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(feed_secret, t + "." + raw body)>; several v1 values are ' +
    'accepted during a rotation. A request is accepted once: a replay within the 5-minute window is 401 ' +
    'signature_replayed, later it is signature_expired. Lines for bills partially paid, paid or with a payment ' +
    'awaiting confirmation are rejected per line.',
  middleware: [requireBillerSignature] as const,
  request: {
    headers: signedFeed.headers,
    body: { required: true, content: { 'application/json': { schema: FeedBody } } },
  },
  responses: {
    200: json(FeedResultSchema, 'Applied'),
  },
})

const feedPaymentsRoute = route({
  operationId: 'listBillerFeedPayments',
  access: billerFeedAccess,
  problems: { signature_expired: 't is more than 5 minutes off' },
  method: 'get',
  path: '/v1/biller-feed/payments',
  tags: ['biller feed'],
  summary:
    'Signed over the raw query string: payments and refunds on your bills, for reconciliation',
  middleware: [requireBillerSignature] as const,
  request: {
    headers: signedFeed.headers,
    query: z.object({
      since: z.iso.datetime({ offset: true }).openapi({ example: '2026-05-01T00:00:00Z' }),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: {
    200: json(listSchema(SettlementSchema, 'BillSettlementList'), 'Oldest first'),
  },
})

const linkAccountRoute = route({
  operationId: 'linkBillerAccount',
  access: access.deviceOrUser,
  problems: {
    invalid_account_number: "the number does not match the biller's pattern",
    unknown_biller: 'no biller has this id',
    account_already_linked: 'you already linked this account',
    limit_exceeded: 'too many linked accounts',
  },
  method: 'post',
  path: '/v1/me/biller-accounts',
  tags: ['bills'],
  summary: 'Link a biller account number (from the phone or a paired TV)',
  middleware: [requireDeviceOrUser] as const,
  request: {
    body: { required: true, content: { 'application/json': { schema: LinkAccountBody } } },
  },
  responses: {
    201: json(BillerAccountSchema, 'Linked; the number is only ever shown masked'),
  },
})

const listAccountsRoute = route({
  operationId: 'listMyBillerAccounts',
  access: access.deviceOrUser,
  method: 'get',
  path: '/v1/me/biller-accounts',
  tags: ['bills'],
  summary: 'Your linked biller accounts',
  middleware: [requireDeviceOrUser] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: {
    200: json(listSchema(BillerAccountSchema, 'BillerAccountList'), 'Oldest first'),
  },
})

const unlinkAccountRoute = route({
  operationId: 'unlinkBillerAccount',
  access: access.deviceOrUser,
  problems: { not_found: 'No such linked account' },
  method: 'delete',
  path: '/v1/me/biller-accounts/{id}',
  tags: ['bills'],
  summary: 'Unlink one of your biller accounts (other household members keep theirs)',
  middleware: [requireDeviceOrUser] as const,
  request: { params: IdParam('Linked account id', 'ba_01jz3k4m5n6p7q8r9s0t1v2w3x') },
  responses: {
    204: { description: 'Unlinked' },
  },
})

const myBillsRoute = route({
  operationId: 'listMyBills',
  access: access.deviceOrUser,
  method: 'get',
  path: '/v1/me/bills',
  tags: ['bills'],
  summary: 'Bills of your linked accounts: unpaid soonest due first, paid latest due first',
  middleware: [requireDeviceOrUser] as const,
  request: {
    query: z.object({
      status: z
        .enum(['unpaid', 'paid'])
        .optional()
        .openapi({ description: 'unpaid includes partially paid' }),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: {
    200: json(listSchema(BillSchema, 'BillList'), 'Your bills'),
  },
})

const getBillRoute = route({
  operationId: 'getBill',
  access: access.deviceOrUser,
  problems: { not_found: 'No such bill among your accounts' },
  method: 'get',
  path: '/v1/bills/{id}',
  tags: ['bills'],
  summary: 'One of your bills',
  middleware: [requireDeviceOrUser] as const,
  request: { params: IdParam('Bill id', 'bill_01jz3k4m5n6p7q8r9s0t1v2w3x') },
  responses: {
    200: json(BillSchema, 'The bill'),
  },
})

const PayResponse = z.object({ payment: PaymentViewSchema }).openapi('BillPayment')

const payBillRoute = route({
  operationId: 'payBill',
  access: access.deviceOrUser,
  problems: {
    amount_not_allowed: 'outside the biller rules (part payments, minimum, maximum)',
    not_found: 'No such bill among your accounts',
    bill_already_paid: 'nothing is due',
    bill_not_payable: 'past due',
    bill_payment_in_progress: 'another member is paying it',
    bill_changed: 'the biller changed the bill meanwhile',
  },
  method: 'post',
  path: '/v1/bills/{id}/pay',
  tags: ['bills'],
  summary: 'Start paying a bill (TV or phone); the phone confirms with its PIN',
  description:
    'Pays what is still due, or `amount` where the biller allows part payments. Honours Idempotency-Key. ' +
    'When this bill already has a payment of yours awaiting confirmation, that payment is returned (200).',
  middleware: [requireDeviceOrUser, idempotent] as const,
  request: {
    params: IdParam('Bill id', 'bill_01jz3k4m5n6p7q8r9s0t1v2w3x'),
    body: { required: false, content: { 'application/json': { schema: PayBillBody } } },
  },
  responses: {
    201: json(PayResponse, 'Payment started, awaiting confirmation on the phone'),
    200: json(PayResponse, 'The payment already awaiting confirmation'),
  },
})

const notificationsRoute = route({
  operationId: 'listMyNotifications',
  access: access.deviceOrUser,
  method: 'get',
  path: '/v1/me/notifications',
  tags: ['bills'],
  summary: 'Your notifications (bill reminders), newest first',
  middleware: [requireDeviceOrUser] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: {
    200: json(listSchema(NotificationSchema, 'NotificationList'), 'Newest first'),
  },
})

export const billRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createBillerRoute, async (c) => {
    const { biller, feedSecret } = await createBiller(c.env, c.req.valid('json'), Date.now())
    return c.json({ biller, feed_secret: feedSecret }, 201)
  })
  .openapi(rotateSecretRoute, async (c) => {
    const body = (await c.req.text()) ? c.req.valid('json') : {}
    const { feedSecret, previousValidUntil } = await rotateFeedSecret(
      c.env,
      c.req.valid('param').id,
      Date.now(),
      { revokePrevious: body.revoke_previous === true },
    )
    return c.json({ feed_secret: feedSecret, previous_valid_until: iso(previousValidUntil) }, 200)
  })
  .openapi(listBillersRoute, async (c) =>
    c.json(await listBillers(c.env.DB, c.req.valid('query')), 200),
  )
  .openapi(feedBillsRoute, async (c) => {
    const result = await ingestFeed(
      c.env,
      c.get('feedCaller'),
      c.req.valid('json').bills,
      Date.now(),
    )
    return c.json(result, 200)
  })
  .openapi(feedPaymentsRoute, async (c) => {
    const { since, limit, cursor } = c.req.valid('query')
    const page = await listSettlements(c.env.DB, c.get('feedCaller').billerId, {
      since: Date.parse(since),
      limit,
      cursor,
    })
    return c.json(page, 200)
  })
  .openapi(linkAccountRoute, async (c) => {
    const account = await linkAccount(
      c.env.DB,
      principalOf(c).userId,
      c.req.valid('json'),
      Date.now(),
    )
    return c.json(account, 201)
  })
  .openapi(listAccountsRoute, async (c) =>
    c.json(await listAccounts(c.env.DB, principalOf(c).userId, c.req.valid('query')), 200),
  )
  .openapi(unlinkAccountRoute, async (c) => {
    await unlinkAccount(c.env.DB, principalOf(c).userId, c.req.valid('param').id)
    return c.body(null, 204)
  })
  .openapi(myBillsRoute, async (c) => {
    return c.json(
      await listMyBills(c.env.DB, principalOf(c).userId, c.req.valid('query'), Date.now()),
      200,
    )
  })
  .openapi(getBillRoute, async (c) => {
    const now = Date.now()
    return c.json(
      toBillView(
        await findVisibleBill(c.env.DB, principalOf(c).userId, c.req.valid('param').id),
        now,
      ),
      200,
    )
  })
  .openapi(payBillRoute, async (c) => {
    const requested = c.req.valid('json')?.amount?.amount
    const result = await payBill(
      c.env,
      purposes,
      principalOf(c),
      c.req.valid('param').id,
      requested,
      Date.now(),
    )
    return result.created
      ? c.json({ payment: result.payment }, 201)
      : c.json({ payment: result.payment }, 200)
  })
  .openapi(notificationsRoute, async (c) =>
    c.json(await listNotifications(c.env.DB, principalOf(c).userId, c.req.valid('query')), 200),
  )

// Feed lines are validated one by one (a bad line is reported, not a 400), so the body schema holds
// them as unknown and points at this component for the document.
billRoutes.openAPIRegistry.register('BillFeedLine', FeedLineSchema)
