import type { RowOf } from '../db/rows'
import type { products } from '../db/schema/catalog'
import type { orderItems, orders } from '../db/schema/orders'
import { z } from '@hono/zod-openapi'
import type { Principal } from '../env'
import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
import { money } from '../lib/money'
import { keysetClause, keysetPage, newestFirst } from '../lib/pagination'
import { iso } from '../lib/time'
import { errorText } from '../lib/d1-errors'
import { newPaymentStatements, paymentStarted } from '../payments'
import { bumpIfReservedIntoLowStock, forgetCatalogVersion } from './catalog-cache'

export type OrderLineInput = { product_id: string; quantity: number }

/** available is stock - reserved: what an order can still take. */
type ProductRow = Pick<RowOf<typeof products>, 'id' | 'title' | 'price'> & { available: number }

type OrderRow = RowOf<typeof orders>

type ItemRow = RowOf<typeof orderItems>

export type Order = OrderRow & { items: ItemRow[] }

/** Quantities of the same product are added up: one line per product. */
export function mergeLines(items: OrderLineInput[]): OrderLineInput[] {
  const byProduct = new Map<string, number>()
  for (const { product_id, quantity } of items) {
    byProduct.set(product_id, (byProduct.get(product_id) ?? 0) + quantity)
  }
  return [...byProduct].map(([product_id, quantity]) => ({ product_id, quantity }))
}

/**
 * Creates the order, reserves its units and starts its payment in one batch. Each order_items row
 * takes its unit_price (NOT NULL) from a subquery that finds the product only while it still has
 * the units available and the price we quoted, so a concurrent sale or a price change aborts the
 * whole batch before anything is written; the following UPDATE then holds the units (contract:
 * `reserved = reserved + ? WHERE id = ? AND stock - reserved >= ?`). stock itself only drops when
 * the order is paid (./purpose.ts).
 */
export async function createOrder(
  env: Env,
  principal: Principal,
  lines: OrderLineInput[],
  now: number,
) {
  const items = mergeLines(lines)
  const products = await readProducts(
    env,
    items.map((i) => i.product_id),
  )
  for (const item of items) {
    const product = products.get(item.product_id)
    if (!product) throw new ApiError('not_found', `No such product: ${item.product_id}`)
    if (product.available < item.quantity) throw outOfStock(product, item.quantity)
  }
  const total = items.reduce((sum, i) => sum + products.get(i.product_id)!.price * i.quantity, 0)
  if (!Number.isSafeInteger(total) || total <= 0) {
    throw new ApiError('validation_failed', 'The order total must be more than zero')
  }

  const orderId = newId('order')
  const payment = newPaymentStatements(env, {
    purpose: { type: 'order', id: orderId },
    userId: principal.userId,
    startedBy: principal,
    amount: total,
    capture: 'automatic',
    payee: { kind: 'merchant' },
    now,
  })
  const d1 = env.DB
  const deviceId = principal.kind === 'device' ? principal.deviceId : null
  const statements: D1PreparedStatement[] = [
    d1
      .prepare(
        `INSERT INTO orders (id, user_id, started_by_device_id, status, total, currency, payment_id,
           units_reserved, created_at, updated_at)
         VALUES (?, ?, ?, 'pending_payment', ?, 'CNY', ?, 1, ?, ?)`,
      )
      .bind(orderId, principal.userId, deviceId, total, payment.paymentId, now, now),
  ]
  items.forEach((item, line) => {
    const product = products.get(item.product_id)!
    statements.push(
      d1
        .prepare(
          `INSERT INTO order_items (order_id, line, product_id, title, unit_price, quantity)
           VALUES (?, ?, ?, ?,
             (SELECT price FROM products WHERE id = ? AND stock - reserved >= ? AND price = ?), ?)`,
        )
        .bind(
          orderId,
          line + 1,
          item.product_id,
          product.title,
          item.product_id,
          item.quantity,
          product.price,
          item.quantity,
        ),
      d1
        .prepare(
          'UPDATE products SET reserved = reserved + ? WHERE id = ? AND stock - reserved >= ?',
        )
        .bind(item.quantity, item.product_id, item.quantity),
    )
  })
  statements.push(bumpIfReservedIntoLowStock(env, orderId), ...payment.statements)
  try {
    await d1.batch(statements)
  } catch (err) {
    if (!/NOT NULL constraint failed: order_items\.unit_price/.test(errorText(err))) throw err
    throw await whyNotReserved(env, items, products)
  }
  forgetCatalogVersion()
  await paymentStarted(env, payment.payment)
  return (await findOrder(env, orderId))!
}

async function readProducts(env: Env, ids: string[]): Promise<Map<string, ProductRow>> {
  const { results } = await env.DB.prepare(
    `SELECT id, title, price, stock - reserved AS available FROM products
     WHERE id IN (${ids.map(() => '?').join(', ')})`,
  )
    .bind(...ids)
    .all<ProductRow>()
  return new Map(results.map((p) => [p.id, p]))
}

async function whyNotReserved(
  env: Env,
  items: OrderLineInput[],
  quoted: Map<string, ProductRow>,
): Promise<ApiError> {
  const now = await readProducts(
    env,
    items.map((i) => i.product_id),
  )
  for (const item of items) {
    const product = now.get(item.product_id)
    if (!product) return new ApiError('not_found', `No such product: ${item.product_id}`)
    if (product.available < item.quantity) return outOfStock(product, item.quantity)
    if (product.price !== quoted.get(item.product_id)!.price) {
      const detail = `The price of ${product.id} changed while ordering; order again`
      return new ApiError('conflict', detail)
    }
  }
  return new ApiError('conflict', 'The catalog changed while ordering; order again')
}

function outOfStock(product: ProductRow, wanted: number): ApiError {
  const available = Math.max(0, product.available)
  return new ApiError('out_of_stock', `Only ${available} of ${product.id} left`, {
    product_id: product.id,
    available,
    requested: wanted,
  })
}

export async function findOrder(env: Env, orderId: string): Promise<Order | null> {
  const [orders, items] = await env.DB.batch([
    env.DB.prepare('SELECT * FROM orders WHERE id = ?').bind(orderId),
    env.DB.prepare('SELECT * FROM order_items WHERE order_id = ? ORDER BY line').bind(orderId),
  ])
  const order = (orders.results as OrderRow[])[0]
  return order ? { ...order, items: items.results as ItemRow[] } : null
}

/** The user, or the device that placed it; anyone else gets the same 404. */
export function canReadOrder(principal: Principal, order: OrderRow): boolean {
  if (principal.userId !== order.user_id) return false
  return principal.kind === 'user' || principal.deviceId === order.started_by_device_id
}

/** Newest first over orders_user_created_idx; a device sees the orders it placed. */
export async function listOrders(
  env: Env,
  principal: Principal,
  opts: { limit: number; cursor?: string },
) {
  const page = keysetClause(newestFirst, opts.cursor)
  const where = ['user_id = ?']
  const params: unknown[] = [principal.userId]
  if (principal.kind === 'device') {
    where.push('started_by_device_id = ?')
    params.push(principal.deviceId)
  }
  if (page.after) where.push(page.after)
  const { results } = await env.DB.prepare(
    `SELECT * FROM orders WHERE ${where.join(' AND ')} ORDER BY ${page.orderBy} LIMIT ?`,
  )
    .bind(...params, ...page.params, opts.limit + 1)
    .all<OrderRow>()
  const rows = keysetPage(results, opts.limit, (o) => o, newestFirst)
  const items = await itemsOf(
    env,
    rows.items.map((o) => o.id),
  )
  return {
    items: rows.items.map((o) => ({ ...o, items: items.filter((i) => i.order_id === o.id) })),
    nextCursor: rows.next_cursor,
  }
}

async function itemsOf(env: Env, orderIds: string[]): Promise<ItemRow[]> {
  if (orderIds.length === 0) return []
  const { results } = await env.DB.prepare(
    `SELECT * FROM order_items WHERE order_id IN (${orderIds.map(() => '?').join(', ')})
     ORDER BY order_id, line`,
  )
    .bind(...orderIds)
    .all<ItemRow>()
  return results
}

export const OrderItemSchema = z.object({
  product_id: z.string(),
  title: z.string(),
  unit_price: z.object({ amount: z.number().int(), currency: z.literal('CNY') }),
  quantity: z.number().int(),
})

export const OrderSchema = z
  .object({
    id: z.string(),
    status: z.enum(['pending_payment', 'paid', 'canceled', 'expired']),
    items: z.array(OrderItemSchema),
    total: z.object({ amount: z.number().int(), currency: z.literal('CNY') }),
    payment_id: z.string(),
    shipping_address: z.record(z.string(), z.string()).nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Order')

export function toOrderView(order: Order): z.infer<typeof OrderSchema> {
  return {
    id: order.id,
    status: order.status,
    items: order.items.map((i) => ({
      product_id: i.product_id,
      title: i.title,
      unit_price: money(i.unit_price),
      quantity: i.quantity,
    })),
    total: money(order.total),
    payment_id: order.payment_id,
    shipping_address: order.shipping_address
      ? (JSON.parse(order.shipping_address) as Record<string, string>)
      : null,
    created_at: iso(order.created_at),
    updated_at: iso(order.updated_at),
  }
}
