import type { Rng } from './prng'

/** What one category's builder invents for one product, before sku, stock and images. */
export type ProductDraft = {
  brand: string
  title: string
  priceFen: number
  /** Short selling points; joined into the description. */
  highlights: string[]
  attributes: Record<string, string>
}

export type CategorySpec = {
  slug: string
  name: string
  parentSlug: string
  /** Share of products that fall in this category (relative). */
  weight: number
  /** Prefix of the category's skus, e.g. `TV`. */
  skuPrefix: string
  /**
   * Best seller's units sold. Groceries outsell TVs in units, but search ranks by sales, so the
   * scale is kept within one order of magnitude across categories: a TV store's `xiaomi` should
   * show phones and TVs beside the nuts.
   */
  maxSales: number
  plentyStock: number
  /** Closing sentences a shop would print under the product. */
  service: readonly string[]
  build(rng: Rng): ProductDraft
}

export type ParentCategory = { slug: string; name: string }

/** Joins title parts, skipping empty ones. */
export function titleOf(...parts: Array<string | false | undefined>): string {
  return parts.filter(Boolean).join(' ')
}
