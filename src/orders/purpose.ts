import { ApiError } from '../http/errors'
import { registerPurpose, type PaymentStatus } from '../payments/purposes'
import { bumpIfReleasedFromLowStock, forgetCatalogVersion } from './catalog-cache'

/**
 * Orders are the purpose 'order'. The payment's transition carries the order's: succeeded → paid;
 * canceled, expired or failed → the order ends and its reserved units go back to stock, in the same
 * batch, guarded by the order still being pending_payment.
 */
const ORDER_END: Partial<Record<PaymentStatus, 'paid' | 'canceled' | 'expired'>> = {
  succeeded: 'paid',
  canceled: 'canceled',
  failed: 'canceled',
  expired: 'expired',
}

registerPurpose('order', {
  async onTransition(env, payment, to, now) {
    const next = ORDER_END[to]
    if (!next) return []
    const orderId = payment.purpose.id
    const statements = [
      env.DB.prepare(
        `UPDATE orders SET status = ?, updated_at = ? WHERE id = ? AND status = 'pending_payment'`,
      ).bind(next, now, orderId),
    ]
    if (next !== 'paid') {
      // Give the reserved units back (contract: stock = stock + ?), once: this batch only commits
      // with the payment's own transition, which can happen only once.
      statements.push(
        env.DB.prepare(
          `UPDATE products SET stock = stock +
             (SELECT SUM(quantity) FROM order_items WHERE order_id = ? AND product_id = products.id)
           WHERE id IN (SELECT product_id FROM order_items WHERE order_id = ?)`,
        ).bind(orderId, orderId),
        bumpIfReleasedFromLowStock(env, orderId),
      )
    }
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
})
