import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { principalOf, requireDeviceOrUser, requireUser } from '../http/auth'
import { ApiError } from '../http/errors'
import { idempotent } from '../http/idempotency'
import { access, json, route } from '../http/openapi'
import { CursorQuery, LimitQuery } from '../lib/pagination'
import { loadPayment, PaymentViewSchema, ShippingAddressSchema, toPaymentView } from '../payments'
import { purposes } from '../wiring'
import {
  canReadOrder,
  createOrder,
  findOrder,
  listOrders,
  OrderSchema,
  toOrderView,
} from './orders'
import { setShippingAddress } from './shipping'

const OrderBody = z
  .object({
    items: z
      .array(
        z
          .object({
            product_id: z.string().min(1).max(64),
            quantity: z.number().int().min(1).max(99),
          })
          .strict(),
      )
      .min(1)
      .max(50),
  })
  .strict()

const OrderWithPayment = z
  .object({ order: OrderSchema, payment: PaymentViewSchema })
  .openapi('OrderWithPayment')
const OrderList = z.object({ items: z.array(OrderSchema), next_cursor: z.string().nullable() })

const create = route({
  operationId: 'createOrder',
  access: access.deviceOrUser,
  problems: {
    not_found: 'Unknown product',
    out_of_stock: 'not enough stock for an item (errors name it)',
    conflict: 'the catalog changed while ordering; order again',
  },
  method: 'post',
  path: '/v1/orders',
  tags: ['orders'],
  summary: 'Order from the TV (or phone): stock is reserved and a payment awaits the phone',
  middleware: [requireDeviceOrUser, idempotent] as const,
  request: {
    body: { content: { 'application/json': { schema: OrderBody } }, required: true },
  },
  responses: {
    201: json(OrderWithPayment, 'Created, pending_payment'),
  },
})

const getOne = route({
  operationId: 'getOrder',
  access: access.deviceOrUser,
  problems: { not_found: 'Not yours or unknown' },
  method: 'get',
  path: '/v1/orders/{id}',
  tags: ['orders'],
  summary: 'An order with its payment (the user, or the device that placed it)',
  middleware: [requireDeviceOrUser] as const,
  request: {
    params: z.object({
      id: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'id', in: 'path' } }),
    }),
  },
  responses: {
    200: json(OrderWithPayment, 'The order'),
  },
})

const listMine = route({
  operationId: 'listMyOrders',
  access: access.deviceOrUser,
  method: 'get',
  path: '/v1/me/orders',
  tags: ['orders'],
  summary: 'Order history, newest first (a device sees the orders it placed)',
  middleware: [requireDeviceOrUser] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: {
    200: json(OrderList, 'Orders'),
  },
})

const putAddress = route({
  operationId: 'setOrderShippingAddress',
  access: access.user,
  problems: {
    not_found: 'Not yours or unknown',
    conflict: 'the order ended (canceled, expired)',
  },
  method: 'put',
  path: '/v1/orders/{id}/shipping-address',
  tags: ['orders'],
  summary: 'Set where a pending or paid order goes (user token; an Alipay-paid order has none yet)',
  middleware: [requireUser] as const,
  request: {
    params: z.object({
      id: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'id', in: 'path' } }),
    }),
    body: { content: { 'application/json': { schema: ShippingAddressSchema } }, required: true },
  },
  responses: {
    200: json(OrderWithPayment, 'The order with its address'),
  },
})

export const orderRoutes = new OpenAPIHono<AppEnv>()
  .openapi(create, async (c) => {
    const now = Date.now()
    const order = await createOrder(c.env, principalOf(c), c.req.valid('json').items, now)
    const payment = await loadPayment(c.env, purposes, order.payment_id, now)
    const view = await toPaymentView(c.env, payment!, now)
    return c.json({ order: toOrderView(order), payment: view }, 201)
  })
  .openapi(getOne, async (c) => {
    const now = Date.now()
    const principal = principalOf(c)
    const found = await findOrder(c.env, c.req.valid('param').id)
    if (!found || !canReadOrder(principal, found)) throw new ApiError('not_found', 'No such order')
    // Reading the payment expires it when due, which ends the order in the same batch.
    const payment = (await loadPayment(c.env, purposes, found.payment_id, now))!
    const unchanged = payment.version === 1 && found.status === 'pending_payment'
    const order = unchanged ? found : (await findOrder(c.env, found.id))!
    const view = await toPaymentView(c.env, payment, now)
    return c.json({ order: toOrderView(order), payment: view }, 200)
  })
  .openapi(listMine, async (c) => {
    const page = await listOrders(c.env, principalOf(c), c.req.valid('query'))
    return c.json({ items: page.items.map(toOrderView), next_cursor: page.nextCursor }, 200)
  })
  .openapi(putAddress, async (c) => {
    const now = Date.now()
    const userId = principalOf(c).userId
    const order = await setShippingAddress(
      c.env,
      userId,
      c.req.valid('param').id,
      c.req.valid('json'),
      now,
    )
    const payment = (await loadPayment(c.env, purposes, order.payment_id, now))!
    return c.json(
      { order: toOrderView(order), payment: await toPaymentView(c.env, payment, now) },
      200,
    )
  })
