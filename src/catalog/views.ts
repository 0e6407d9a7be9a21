import type { RowOf } from '../db/rows'
import type { categories, products } from '../db/schema/catalog'
import { z } from '@hono/zod-openapi'
import { money, MoneySchema } from '../lib/money'
import { AttributesSchema, ImageSchema } from './product-rows'

/** At or below this many available units (stock - reserved) a product shows as low_stock. */
export const LOW_STOCK = 10

export const StockStatusSchema = z
  .enum(['in_stock', 'low_stock', 'out_of_stock'])
  .openapi('StockStatus')

export const ProductSummarySchema = z
  .object({
    id: z.string().openapi({ example: 'prod_01jv8v5k8ffm9tq2m3h1w7d6xa' }),
    title: z.string(),
    brand: z.string(),
    price: MoneySchema,
    image: z.union([ImageSchema, z.null()]),
    category_id: z.string(),
    stock_status: StockStatusSchema,
  })
  .openapi('ProductSummary')

export const ProductDetailSchema = ProductSummarySchema.extend({
  sku: z.string(),
  description: z.string(),
  images: z.array(ImageSchema),
  attributes: AttributesSchema,
  /** Filled by the deals capability through the product extras registry. */
  active_deal: z.unknown().nullable(),
}).openapi('ProductDetail')

export const CategorySchema = z
  .object({
    id: z.string().openapi({ example: 'cat_01jv8v5k8ffm9tq2m3h1w7d6xa' }),
    slug: z.string(),
    name: z.string(),
    parent_id: z.string().nullable(),
  })
  .openapi('Category')

export type ProductSummary = z.infer<typeof ProductSummarySchema>
export type Category = z.infer<typeof CategorySchema>

/**
 * The columns a summary needs, for `SELECT ${SUMMARY_COLUMNS} FROM products p`. available is what
 * can be ordered now: units held by orders awaiting payment are still in stock but not for sale.
 */
export const SUMMARY_COLUMNS = `p.id, p.title, p.brand, p.price, p.image, p.category_id,
  p.stock - p.reserved AS available, p.sales`

export type SummaryRow = Pick<
  RowOf<typeof products>,
  'id' | 'title' | 'brand' | 'price' | 'image' | 'category_id' | 'sales'
> & { available: number }

export function stockStatus(available: number): z.infer<typeof StockStatusSchema> {
  if (available <= 0) return 'out_of_stock'
  return available <= LOW_STOCK ? 'low_stock' : 'in_stock'
}

export function toSummary(row: SummaryRow): ProductSummary {
  return {
    id: row.id,
    title: row.title,
    brand: row.brand,
    price: money(row.price),
    image: row.image ? JSON.parse(row.image) : null,
    category_id: row.category_id,
    stock_status: stockStatus(row.available),
  }
}

export function toCategory(
  row: Pick<RowOf<typeof categories>, 'id' | 'slug' | 'name' | 'parent_id'>,
): Category {
  return { id: row.id, slug: row.slug, name: row.name, parent_id: row.parent_id }
}
