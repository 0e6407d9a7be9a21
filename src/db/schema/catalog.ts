import { sql } from 'drizzle-orm'
import { check, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'

// Times are integer epoch milliseconds throughout the schema.

/**
 * Two levels at most: a root (parent_id NULL) and its children. Triggers in the migration
 * `catalog_search_state` refuse a third level, so products.root_category_id is always a root.
 */
export const categories = sqliteTable(
  'categories',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    parentId: text('parent_id').references((): any => categories.id),
    /** Display order among siblings (home rails and /v1/categories), then slug. */
    position: integer('position').notNull().default(0),
    /** Small integer handle in search_keys (as -search_id), far smaller than the text id. */
    searchId: integer('search_id').notNull().unique(),
    /** Every search alphabet of the name in one string: filters queries longer than a key. */
    searchText: text('search_text').notNull().default(''),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('categories_parent_idx').on(t.parentId, t.position, t.slug)],
)

/**
 * stock is the units on hand, including those held by unpaid orders; reserved is the part held.
 * What can be sold now is stock - reserved. The admin upsert sets stock and never reserved; an
 * order takes units with `reserved = reserved + ? WHERE id = ? AND stock - reserved >= ?`, and
 * its payment's end either ships them (stock and reserved both down) or releases them (reserved
 * down). The CHECKs keep reserved within [0, stock], so an admin write below what pending orders
 * hold aborts its whole batch.
 */
export const products = sqliteTable(
  'products',
  {
    id: text('id').primaryKey(),
    /** Small integer handle in search_keys: 3 bytes a row there instead of a 31-byte id. */
    searchId: integer('search_id').notNull().unique(),
    sku: text('sku').notNull().unique(),
    title: text('title').notNull(),
    brand: text('brand').notNull(),
    description: text('description').notNull().default(''),
    categoryId: text('category_id')
      .notNull()
      .references(() => categories.id),
    /** The category's root (itself when it is one): lists and home rails by top category. */
    rootCategoryId: text('root_category_id').notNull(),
    /** Integer fen. */
    price: integer('price').notNull(),
    stock: integer('stock').notNull(),
    /** Units held by orders awaiting payment: part of stock, not available. */
    reserved: integer('reserved').notNull().default(0),
    /** Units sold: popularity, the second ranking key of lists and search. */
    sales: integer('sales').notNull().default(0),
    /** JSON `{url,width,height}` of the first image, or NULL: what list rows show. */
    image: text('image'),
    /** JSON array of `{url,width,height}`. */
    images: text('images').notNull().default('[]'),
    /** JSON object of string → string | number | boolean. */
    attributes: text('attributes').notNull().default('{}'),
    /** Every search alphabet of title and brand in one string: filters queries longer than a key. */
    searchText: text('search_text').notNull().default(''),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    check('products_price_nonnegative', sql`price >= 0`),
    check('products_stock_nonnegative', sql`stock >= 0`),
    check('products_reserved_nonnegative', sql`reserved >= 0`),
    check('products_reserved_within_stock', sql`reserved <= stock`),
    check('products_sales_nonnegative', sql`sales >= 0`),
    // Keyset lists ORDER BY sales DESC, id DESC: each index serves one filter without a sort.
    index('products_popular_idx').on(t.sales, t.id),
    index('products_category_popular_idx').on(t.categoryId, t.sales, t.id),
    index('products_root_popular_idx').on(t.rootCategoryId, t.sales, t.id),
  ],
)

/**
 * The search index: one row per (search key, product or category). A key is a prefix, capped in
 * length, of one alphabet (title text, full pinyin, initials, T9 digits) read from a token start.
 * rank folds the match tier (title prefix before infix) above popularity, so
 * `WHERE key = ? ORDER BY rank DESC LIMIT n` reads exactly n rows. Created WITHOUT ROWID by the
 * migration (drizzle cannot say so): the primary key is the table.
 */
export const searchKeys = sqliteTable(
  'search_keys',
  {
    key: text('key').notNull(),
    rank: integer('rank').notNull(),
    /** products.search_id, or -categories.search_id for a category. */
    targetId: integer('target_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.key, t.rank, t.targetId] }),
    index('search_keys_target_idx').on(t.targetId),
  ],
)

/** One row (id = 1). version is bumped by every write that changes a public catalog read. */
export const catalogState = sqliteTable(
  'catalog_state',
  {
    id: integer('id').primaryKey(),
    version: integer('version').notNull(),
  },
  () => [check('catalog_state_single_row', sql`id = 1`)],
)
