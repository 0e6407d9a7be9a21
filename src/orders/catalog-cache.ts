import { forgetCatalogVersion } from '../catalog/cache'
import { LOW_STOCK } from '../catalog/views'

/**
 * Stock changes reach public catalog reads only through stock_status (in_stock / low_stock /
 * out_of_stock), which is derived from available units (stock - reserved) and changes only at or
 * below LOW_STOCK. So an order bumps the catalog version (contract: src/catalog/cache.ts) only when
 * one of its products sits at or below LOW_STOCK on the low side of its change, instead of
 * emptying every cached page on every order. A paid order moves units from reserved out of stock,
 * which leaves available units as they were: it needs no bump.
 */

/** After the reservation: available units now at or below LOW_STOCK. */
export function bumpIfReservedIntoLowStock(env: Env, orderId: string): D1PreparedStatement {
  return env.DB.prepare(
    `UPDATE catalog_state SET version = version + 1 WHERE id = 1 AND EXISTS (
       SELECT 1 FROM products
       WHERE id IN (SELECT product_id FROM order_items WHERE order_id = ?)
         AND stock - reserved <= ?)`,
  ).bind(orderId, LOW_STOCK)
}

/** After the release: available units were at or below LOW_STOCK before it. */
export function bumpIfReleasedFromLowStock(env: Env, orderId: string): D1PreparedStatement {
  return env.DB.prepare(
    `UPDATE catalog_state SET version = version + 1 WHERE id = 1 AND EXISTS (
       SELECT 1 FROM order_items i JOIN products p ON p.id = i.product_id
       WHERE i.order_id = ? AND p.stock - p.reserved - i.quantity <= ?)`,
  ).bind(orderId, LOW_STOCK)
}

/** This isolate re-reads the version after a batch that may have bumped it. */
export { forgetCatalogVersion }
