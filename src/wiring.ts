/**
 * The one place where capabilities are connected. Payments moves money for three purposes and the
 * catalog shows rails and product extras from deals and bills; none of them imports the others'
 * handlers. Route files and the cron import what they need from here and pass it on as plain
 * parameters, so every connection is an import you can read, and a purpose left out of
 * `purposes` is a compile error.
 */
import { billsRail } from './bills/home'
import { billPurpose } from './bills/purpose'
import type { HomeRail, ProductExtra } from './catalog/home'
import { catalogRails } from './catalog/rails'
import { activeDealExtra, dealsRail } from './deals/home'
import { dealPurpose } from './deals/purpose'
import { orderPurpose } from './orders/purpose'
import { alipayRefundRail, type Purposes, type RefundRails } from './payments'

/** What each payment pays for: its statements commit in the payment's own transition batch. */
export const purposes: Purposes = {
  order: orderPurpose,
  deal: dealPurpose,
  bill: billPurpose,
}

/** Payment methods outside the wallet and card providers, which give refunds back themselves. */
export const refundRails: RefundRails = { alipay: alipayRefundRail }

/** `/v1/home`, in one batch; loadHome puts them in screen order (position, then id). */
export const homeRails: readonly HomeRail[] = [...catalogRails, dealsRail, billsRail]

/** Fields added to `/v1/products/{id}`, read in the product's batch. */
export const productExtras: readonly ProductExtra[] = [activeDealExtra]
