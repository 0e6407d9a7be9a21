import { z } from '@hono/zod-openapi'
import { MoneySchema } from '../lib/money'
import {
  categorySearchDocument,
  productSearchDocument,
  SALES_SPAN,
  searchRank,
} from './search-keys'

/**
 * What the admin upserts write, as plain SQL with parameters, so the demo seeder writes exactly
 * what `POST /v1/admin/products` and `POST /v1/admin/categories` write. Pure: no I/O here.
 * Run a list of them as one `env.DB.batch()` (see `toStatements`): the batch is the transaction.
 */

export type SqlValue = string | number | null
export type Sql = { sql: string; params: SqlValue[] }

export const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/

export const ImageSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }).max(2048),
    width: z.number().int().min(1).max(20_000),
    height: z.number().int().min(1).max(20_000),
  })
  .strict()
  .openapi('Image')

export const AttributesSchema = z
  .record(z.string().min(1).max(64), z.union([z.string().max(500), z.number(), z.boolean()]))
  .refine((a) => Object.keys(a).length <= 50, 'at most 50 attributes')
  .openapi('Attributes', { example: { 屏幕尺寸: '55英寸', 分辨率: '4K', hdr: true } })

export const CategoryInputSchema = z
  .object({
    slug: z.string().regex(SLUG, 'lower-case letters, digits and dashes, 1-63 long'),
    name: z.string().trim().min(1).max(60),
    parent_slug: z.string().regex(SLUG).nullable().optional(),
    position: z.number().int().min(0).max(1_000_000).optional(),
  })
  .strict()
  .openapi('CategoryInput', { example: { slug: 'tv', name: '电视' } })

export type CategoryInput = z.infer<typeof CategoryInputSchema>

export const ProductInputSchema = z
  .object({
    sku: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        'letters, digits, dot, dash, underscore; 1-64 long',
      ),
    title: z.string().trim().min(1).max(200),
    brand: z.string().trim().min(1).max(60),
    description: z.string().max(5000).optional(),
    price: MoneySchema,
    category_slug: z.string().regex(SLUG),
    stock: z.number().int().min(0).max(1_000_000_000),
    /** Units sold so far: popularity. Kept as is on update when omitted. */
    sales: z.number().int().min(0).max(1_000_000_000_000).optional(),
    images: z.array(ImageSchema).max(20).optional(),
    attributes: AttributesSchema.optional(),
  })
  .strict()
  .openapi('ProductInput', {
    example: {
      sku: 'MI-TV-EA55',
      title: '小米电视 EA55 55英寸 4K超高清智能电视',
      brand: '小米',
      price: { amount: 179900, currency: 'CNY' },
      category_slug: 'tv',
      stock: 120,
      images: [{ url: 'https://img.tvpay.example/mi-ea55.jpg', width: 800, height: 800 }],
      attributes: { 屏幕尺寸: '55英寸' },
    },
  })

export type ProductInput = z.infer<typeof ProductInputSchema>

const NEXT_CATEGORY_SEARCH_ID = '(SELECT COALESCE(MAX(search_id), 0) + 1 FROM categories)'
const NEXT_PRODUCT_SEARCH_ID = '(SELECT COALESCE(MAX(search_id), 0) + 1 FROM products)'

/**
 * Parents first, so a batch can create a root and its children together (the child's parent_id is
 * looked up by slug when its row is written).
 */
export function orderCategoriesForWrite(inputs: CategoryInput[]): CategoryInput[] {
  const inBatch = new Set(inputs.map((c) => c.slug))
  const depth = (c: CategoryInput) => (c.parent_slug && inBatch.has(c.parent_slug) ? 1 : 0)
  return [...inputs].sort((a, b) => depth(a) - depth(b))
}

/** Upsert by slug; the id is kept on update. Then its search keys are replaced. */
export function categoryUpsertSql(input: CategoryInput, opts: { id: string; now: number }): Sql[] {
  const doc = categorySearchDocument(input.name)
  const keys = doc.keys.map(([key, tier]) => [key, searchRank(tier, 0)])
  const target = '-(SELECT search_id FROM categories WHERE slug = ?1)'
  return [
    {
      sql: `INSERT INTO categories
              (id, search_id, slug, name, parent_id, position, search_text, created_at, updated_at)
            VALUES (?2, ${NEXT_CATEGORY_SEARCH_ID}, ?1, ?3, (SELECT id FROM categories WHERE slug = ?4),
                    ?5, ?6, ?7, ?7)
            ON CONFLICT (slug) DO UPDATE SET
              name = excluded.name, parent_id = excluded.parent_id, position = excluded.position,
              search_text = excluded.search_text, updated_at = excluded.updated_at`,
      params: [
        input.slug,
        opts.id,
        input.name,
        input.parent_slug ?? null,
        input.position ?? 0,
        doc.searchText,
        opts.now,
      ],
    },
    { sql: `DELETE FROM search_keys WHERE target_id = ${target}`, params: [input.slug] },
    {
      sql: `INSERT INTO search_keys (key, rank, target_id)
            SELECT j.value ->> 0, j.value ->> 1, ${target} FROM json_each(?2) AS j`,
      params: [input.slug, JSON.stringify(keys)],
    },
  ]
}

/**
 * Upsert by sku; the id and (when `sales` is omitted) the sales count are kept on update.
 * Search keys depend on title, brand and sales, and on how titles are read (search-keys.ts): when
 * none of those changed (a stock or price update) the keys stay as they are; otherwise they are
 * deleted before the row changes and rewritten after it, ranked in SQL from the sales the row then
 * holds. A changed reading (BRAND_READINGS) shows as a changed search_text, so writing an existing
 * product again re-keys it.
 * An unknown category_slug leaves category_id NULL, which the NOT NULL constraint refuses, so a
 * racing category change aborts the whole batch rather than writing half of it.
 */
export function productUpsertSql(input: ProductInput, opts: { id: string; now: number }): Sql[] {
  const doc = productSearchDocument(input.title, input.brand)
  const images = input.images ?? []
  const staleKeys: Sql = {
    sql: `DELETE FROM search_keys WHERE target_id = (
            SELECT search_id FROM products
            WHERE sku = ?1
              AND NOT (title = ?2 AND brand = ?3 AND sales = COALESCE(?4, sales)
                       AND search_text = ?5))`,
    params: [input.sku, input.title, input.brand, input.sales ?? null, doc.searchText],
  }
  const product: Sql = {
    sql: `INSERT INTO products
            (id, search_id, sku, title, brand, description, category_id, root_category_id, price,
             stock, sales, image, images, attributes, search_text, created_at, updated_at)
          VALUES (?2, ${NEXT_PRODUCT_SEARCH_ID}, ?1, ?3, ?4, ?5,
                  (SELECT id FROM categories WHERE slug = ?6),
                  (SELECT COALESCE(parent_id, id) FROM categories WHERE slug = ?6),
                  ?7, ?8, COALESCE(?9, 0), ?10, ?11, ?12, ?13, ?14, ?14)
          ON CONFLICT (sku) DO UPDATE SET
            title = excluded.title, brand = excluded.brand, description = excluded.description,
            category_id = excluded.category_id, root_category_id = excluded.root_category_id,
            price = excluded.price, stock = excluded.stock, sales = COALESCE(?9, products.sales),
            image = excluded.image, images = excluded.images, attributes = excluded.attributes,
            search_text = excluded.search_text, updated_at = excluded.updated_at`,
    params: [
      input.sku,
      opts.id,
      input.title,
      input.brand,
      input.description ?? '',
      input.category_slug,
      input.price.amount,
      input.stock,
      input.sales ?? null,
      images[0] ? JSON.stringify(images[0]) : null,
      JSON.stringify(images),
      JSON.stringify(input.attributes ?? {}),
      doc.searchText,
      opts.now,
    ],
  }
  const freshKeys: Sql = {
    sql: `INSERT INTO search_keys (key, rank, target_id)
          SELECT j.value ->> 0, (j.value ->> 1) * ${SALES_SPAN} + MIN(p.sales, ${SALES_SPAN - 1}), p.search_id
          FROM products AS p, json_each(?2) AS j
          WHERE p.sku = ?1 AND NOT EXISTS (SELECT 1 FROM search_keys WHERE target_id = p.search_id)`,
    params: [input.sku, JSON.stringify(doc.keys)],
  }
  return [staleKeys, product, freshKeys]
}

/** Binds Sql to D1 statements, for `env.DB.batch()`. */
export function toStatements(d1: D1Database, sqls: Sql[]): D1PreparedStatement[] {
  return sqls.map((s) => d1.prepare(s.sql).bind(...s.params))
}
