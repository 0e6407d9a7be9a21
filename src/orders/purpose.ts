import { ApiError } from '../http/errors'
import type { PaymentStatus, PurposeHandler } from '../payments'
import { bumpIfReleasedFromLowStock, forgetCatalogVersion } from './catalog-cache'

/**
 * Orders are the purpose 'order'. The payment's transition carries the order's: succeeded → paid,
 * and the units the order held leave stock; canceled, expired or failed → the order ends and the
 * units it held become available again. Both in the payment's transition batch.
 */
const ORDER_END: Partial<Record<PaymentStatus, 'paid' | 'canceled' | 'expired'>> = {
  succeeded: 'paid',
  canceled: 'canceled',
  failed: 'canceled',
  expired: 'expired',
}

/** The order's units of this product (createOrder writes one line per product). */
const UNITS = `(SELECT SUM(quantity) FROM order_items
                WHERE order_id = ?1 AND product_id = products.id)`

/**
 * Once per order: the payment's own transition happens only once, and these run before the
 * order leaves pending_payment in the same batch, guarded by it still being there.
 */
const OF_PENDING_ORDER = `id IN (SELECT product_id FROM order_items WHERE order_id = ?1)
  AND (SELECT status FROM orders WHERE id = ?1) = 'pending_payment'`

/**
 * Orders written by code from before products.reserved (possible only while a deploy of migration
 * 0011 is half done) took their units straight out of stock; orders.units_reserved = 1 marks the
 * ones that hold them in reserved instead. Each end runs both statements; the flag picks one.
 */
const HELD = `(SELECT units_reserved FROM orders WHERE id = ?1) = 1`

/**
 * What happens to the units the order held. Paid: they are sold, so they leave both stock and
 * reserved, and available units (stock - reserved) stay as they were. Otherwise: released. A
 * legacy order (units taken from stock): paid changes nothing, released puts them back in stock.
 */
export const ORDER_UNITS_SQL = {
  paid: `UPDATE products SET stock = stock - ${UNITS}, reserved = reserved - ${UNITS}
         WHERE ${OF_PENDING_ORDER} AND ${HELD}`,
  released: `UPDATE products SET reserved = reserved - ${UNITS} WHERE ${OF_PENDING_ORDER} AND ${HELD}`,
  releasedLegacy: `UPDATE products SET stock = stock + ${UNITS}
                   WHERE ${OF_PENDING_ORDER} AND NOT ${HELD}`,
}

export const orderPurpose: PurposeHandler = {
  async onTransition(env, payment, to, now) {
    const next = ORDER_END[to]
    if (!next) return []
    const orderId = payment.purpose.id
    const { paid, released, releasedLegacy } = ORDER_UNITS_SQL
    const units = next === 'paid' ? [paid] : [released, releasedLegacy]
    const statements = units.map((sql) => env.DB.prepare(sql).bind(orderId))
    // A paid order leaves available units unchanged, so stock_status too: no catalog bump.
    if (next !== 'paid') statements.push(bumpIfReleasedFromLowStock(env, orderId))
    statements.push(
      env.DB.prepare(
        `UPDATE orders SET status = ?, updated_at = ? WHERE id = ? AND status = 'pending_payment'`,
      ).bind(next, now, orderId),
    )
    return statements
  },

  async afterTransition(_env, _payment, to) {
    if (to !== 'succeeded' && ORDER_END[to]) forgetCatalogVersion()
  },

  async beforeConfirm(env, payment, input) {
    if (!input.shippingAddress) {
      const detail = 'An order needs a shipping_address when it is confirmed'
      throw new ApiError('shipping_address_required', detail, {
        errors: [{ path: 'shipping_address', message: 'Required' }],
      })
    }
    return [
      env.DB.prepare(
        `UPDATE orders SET shipping_address = ? WHERE id = ? AND status = 'pending_payment'`,
      ).bind(JSON.stringify(input.shippingAddress), payment.purpose.id),
    ]
  },
}
