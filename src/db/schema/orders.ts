import { sql } from 'drizzle-orm'
import { check, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'

// Times are integer epoch milliseconds throughout the schema.

/** An order is the purpose 'order' of exactly one payment. */
export const orders = sqliteTable(
  'orders',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    startedByDeviceId: text('started_by_device_id'),
    status: text('status', {
      enum: ['pending_payment', 'paid', 'canceled', 'expired'],
    }).notNull(),
    total: integer('total').notNull(),
    currency: text('currency', { enum: ['CNY'] })
      .notNull()
      .default('CNY'),
    paymentId: text('payment_id').notNull(),
    /** JSON, supplied by the phone at confirmation */
    shippingAddress: text('shipping_address'),
    /** 1: the order holds its units in products.reserved (every order since migration 0011). */
    unitsReserved: integer('units_reserved').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    check('orders_status_known', sql`status IN ('pending_payment', 'paid', 'canceled', 'expired')`),
    check('orders_total_positive', sql`total > 0`),
    index('orders_user_created_idx').on(t.userId, t.createdAt, t.id),
  ],
)

/**
 * unit_price is NOT NULL and written from a subquery that only finds the product while it has the
 * stock and the price the order was quoted: a sold-out item or a price change aborts the batch.
 */
export const orderItems = sqliteTable(
  'order_items',
  {
    orderId: text('order_id').notNull(),
    line: integer('line').notNull(),
    productId: text('product_id').notNull(),
    title: text('title').notNull(),
    unitPrice: integer('unit_price').notNull(),
    quantity: integer('quantity').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.line] }),
    check('order_items_quantity_positive', sql`quantity > 0 AND unit_price >= 0`),
  ],
)
