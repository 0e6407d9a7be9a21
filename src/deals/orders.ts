import { newId } from '../lib/ids'
import type { Payment } from '../payments'
import type { ParticipationRow } from './store'

/**
 * The order a captured participation becomes: already paid (its payment is the deal payment), one
 * line at the deal price, shipped to the address the phone gave at confirmation. Runs in the
 * capture's batch; each INSERT only happens while the participation is still confirmed, like the
 * rest of that batch, so an order exists exactly when the participation is paid.
 */
export function orderStatements(env: Env, p: ParticipationRow, payment: Payment, now: number) {
  const orderId = newId('order')
  const confirmed = `EXISTS (SELECT 1 FROM deal_participations
                             WHERE id = ? AND status = 'confirmed')`
  const statements = [
    env.DB.prepare(
      `INSERT INTO orders (id, user_id, started_by_device_id, status, total, currency, payment_id,
         shipping_address, created_at, updated_at)
       SELECT ?, ?, ?, 'paid', ?, 'CNY', ?, ?, ?, ? WHERE ${confirmed}`,
    ).bind(
      orderId,
      p.user_id,
      p.started_by_device_id,
      payment.amount,
      payment.id,
      p.shipping_address,
      now,
      now,
      p.id,
    ),
    env.DB.prepare(
      `INSERT INTO order_items (order_id, line, product_id, title, unit_price, quantity)
       SELECT ?, 1, products.id, products.title, ?, ?
       FROM deals JOIN products ON products.id = deals.product_id
       WHERE deals.id = ? AND ${confirmed}`,
    ).bind(orderId, p.unit_price, p.quantity, p.deal_id, p.id),
  ]
  return { orderId, statements }
}
