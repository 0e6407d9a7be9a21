import { ApiError } from '../http/errors'
import type { ShippingAddress } from '../payments'
import { findOrder, type Order } from './orders'

/** Orders that may still take an address. tvpay does not ship: nothing is ever `shipped` yet. */
const ADDRESSABLE = ['pending_payment', 'paid']

/**
 * PUT /v1/orders/{id}/shipping-address (the user): sets or replaces where a pending or paid order
 * goes. An order paid with Alipay on the TV has none until this call (the phone gives one only
 * when it confirms). An ended order (canceled, expired) is 409.
 */
export async function setShippingAddress(
  env: Env,
  userId: string,
  orderId: string,
  address: ShippingAddress,
  now: number,
): Promise<Order> {
  const { meta } = await env.DB.prepare(
    `UPDATE orders SET shipping_address = ?, updated_at = ?
     WHERE id = ? AND user_id = ? AND status IN ('pending_payment', 'paid')`,
  )
    .bind(JSON.stringify(address), now, orderId, userId)
    .run()
  const order = await findOrder(env, orderId)
  if (!order || order.user_id !== userId) throw new ApiError('not_found', 'No such order')
  if (meta.changes === 0 || !ADDRESSABLE.includes(order.status)) {
    throw new ApiError('conflict', `A ${order.status} order takes no shipping address`, {
      order_status: order.status,
    })
  }
  return order
}
