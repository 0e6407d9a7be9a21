import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { requireAdmin } from '../http/admin'
import { optionalAuth } from '../http/auth'
import { publicJson } from '../http/cache'
import { access, json, route } from '../http/openapi'
import { CursorQuery, LimitQuery, listSchema } from '../lib/pagination'
import { upsertCategories, upsertProducts } from './admin'
import { catalogVersion } from './cache'
import { listCategories } from './categories'
import { homeIsPersonal, loadHome } from './home'
import { CategoryInputSchema, ProductInputSchema } from './product-rows'
import { getProduct, listProducts } from './products'
import { searchProducts, suggest } from './search'
import { CategorySchema, ProductDetailSchema, ProductSummarySchema } from './views'
import { homeRails, productExtras } from '../wiring'

const cachedHeaders = {
  ETag: {
    schema: { type: 'string' as const },
    description: 'Hash of the body; send it back as If-None-Match',
  },
  'Cache-Control': {
    schema: { type: 'string' as const },
    description: 'public, no-cache (revalidate with the ETag)',
  },
}
const cached = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  ...json(schema, description),
  headers: cachedHeaders,
})
const notModified = { description: 'Not modified: If-None-Match matched the current ETag' }

const HomeSchema = z
  .object({
    rails: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        kind: z.enum(['deals', 'products', 'categories', 'bills']),
        items: z.array(z.unknown()),
      }),
    ),
  })
  .openapi('Home')

const SearchQuery = z.object({
  q: z.string().min(1).max(64).openapi({
    example: 'xmds',
    description: 'Han, pinyin, initials, or keypad digits with mode=t9',
  }),
  mode: z
    .enum(['text', 't9'])
    .default('text')
    .openapi({ description: 't9: q is phone-keypad digits' }),
})
const t9Digits = (v: { q: string; mode: 'text' | 't9' }) =>
  v.mode !== 't9' || /^[0-9\s]+$/.test(v.q)
const t9Issue = { message: 'with mode=t9, q is keypad digits 0-9', path: ['q'] }

const SuggestQuery = SearchQuery.extend({
  limit: z.coerce.number().int().min(1).max(10).default(8),
}).refine(t9Digits, t9Issue)
const SearchPageQuery = SearchQuery.extend({ limit: LimitQuery, cursor: CursorQuery }).refine(
  t9Digits,
  t9Issue,
)

const SuggestionSchema = z
  .object({ id: z.string(), title: z.string(), kind: z.enum(['product', 'category']) })
  .openapi('Suggestion')

const homeRoute = route({
  operationId: 'getHome',
  access: access.optionalBearer,
  method: 'get',
  path: '/v1/home',
  tags: ['catalog'],
  summary: 'Everything one TV home screen shows, in one request (one D1 batch)',
  description:
    'A paired device token is optional; with one, rails for that household (bills) join.',
  middleware: [optionalAuth] as const,
  responses: {
    200: cached(HomeSchema, 'Rails, in screen order'),
    304: notModified,
  },
})

const categoriesRoute = route({
  operationId: 'listCategories',
  access: access.public,
  method: 'get',
  path: '/v1/categories',
  tags: ['catalog'],
  summary: 'The category tree (roots first), flat',
  responses: {
    200: cached(z.object({ items: z.array(CategorySchema) }), 'Categories'),
    304: notModified,
  },
})

const productsRoute = route({
  operationId: 'listProducts',
  access: access.public,
  problems: { not_found: 'Unknown category' },
  method: 'get',
  path: '/v1/products',
  tags: ['catalog'],
  summary: 'Products by popularity, keyset-paged; a root category includes its children',
  request: {
    query: z.object({
      category_id: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .openapi({ param: { name: 'category_id', in: 'query' } }),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: {
    200: cached(listSchema(ProductSummarySchema, 'ProductList'), 'A page'),
    304: notModified,
  },
})

const productRoute = route({
  operationId: 'getProduct',
  access: access.public,
  problems: { not_found: 'Unknown product' },
  method: 'get',
  path: '/v1/products/{id}',
  tags: ['catalog'],
  summary: 'Product detail with images, attributes and its active deal',
  request: {
    params: z.object({
      id: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'id', in: 'path' } }),
    }),
  },
  responses: {
    200: cached(ProductDetailSchema, 'The product'),
    304: notModified,
  },
})

const suggestRoute = route({
  operationId: 'suggestProducts',
  access: access.public,
  method: 'get',
  path: '/v1/search/suggest',
  tags: ['search'],
  summary: 'Suggestions on every keypress: Han, pinyin prefix, initials, T9 digits',
  request: { query: SuggestQuery },
  responses: {
    200: cached(z.object({ items: z.array(SuggestionSchema) }), 'Best first'),
    304: notModified,
  },
})

const searchRoute = route({
  operationId: 'searchProducts',
  access: access.public,
  problems: ['invalid_cursor'],
  method: 'get',
  path: '/v1/search',
  tags: ['search'],
  summary: 'Full results, the same matching as suggest, keyset-paged',
  description: 'A page may hold fewer than limit items; follow next_cursor until it is null.',
  request: { query: SearchPageQuery },
  responses: {
    200: cached(listSchema(ProductSummarySchema, 'SearchResults'), 'Best first'),
    304: notModified,
  },
})

const adminCategoriesRoute = route({
  operationId: 'upsertCategories',
  access: access.admin,
  problems: {
    unknown_category: 'a parent_slug names no category (unknown_slugs lists them)',
    category_too_deep: 'categories nest two levels at most',
    conflict: 'a category changed during the write; retry',
  },
  method: 'post',
  path: '/v1/admin/categories',
  tags: ['catalog', 'admin'],
  summary: 'Upsert categories by slug (up to 100, all or nothing)',
  middleware: [requireAdmin] as const,
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.object({ categories: z.array(CategoryInputSchema).min(1).max(100) }).strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    200: json(
      z.object({ items: z.array(z.object({ id: z.string(), slug: z.string() })) }),
      'Ids, in request order',
    ),
  },
})

const adminProductsRoute = route({
  operationId: 'upsertProducts',
  access: access.admin,
  problems: {
    unknown_category: 'a category_slug names no category (unknown_slugs lists them)',
    conflict:
      'a category changed during the write, or a stock is below the units held by pending ' +
      'orders (errors name each products.<i>.stock and its minimum); nothing is written',
  },
  method: 'post',
  path: '/v1/admin/products',
  tags: ['catalog', 'admin'],
  summary: 'Upsert products by sku (up to 100, all or nothing); search keys computed here',
  middleware: [requireAdmin] as const,
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.object({ products: z.array(ProductInputSchema).min(1).max(100) }).strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    200: json(
      z.object({ items: z.array(z.object({ id: z.string(), sku: z.string() })) }),
      'Ids, in request order',
    ),
  },
})

// Cached answers are plain Responses (a cache hit has no typed body); the declared schemas above
// are what clients see, so the handlers cast them.
export const catalogRoutes = new OpenAPIHono<AppEnv>()
  .openapi(homeRoute, async (c) => {
    const principal = c.get('principal')
    const now = Date.now()
    const shared = !homeIsPersonal(principal)
    const version = await catalogVersion(c.env, now)
    return (await publicJson(c, { version, shared }, () =>
      loadHome(c.env, homeRails, principal, now),
    )) as never
  })
  .openapi(categoriesRoute, async (c) => {
    const version = await catalogVersion(c.env)
    return (await publicJson(c, { version, shared: true }, () => listCategories(c.env))) as never
  })
  .openapi(productsRoute, async (c) => {
    const q = c.req.valid('query')
    const version = await catalogVersion(c.env)
    return (await publicJson(c, { version, shared: true }, () =>
      listProducts(c.env, { categoryId: q.category_id, limit: q.limit, cursor: q.cursor }),
    )) as never
  })
  .openapi(productRoute, async (c) => {
    const { id } = c.req.valid('param')
    const now = Date.now()
    const version = await catalogVersion(c.env, now)
    return (await publicJson(c, { version, shared: true }, () =>
      getProduct(c.env, productExtras, id, now),
    )) as never
  })
  .openapi(suggestRoute, async (c) => {
    const q = c.req.valid('query')
    const version = await catalogVersion(c.env)
    return (await publicJson(c, { version, shared: true }, () =>
      suggest(c.env, q.q, q.mode, q.limit),
    )) as never
  })
  .openapi(searchRoute, async (c) => {
    const q = c.req.valid('query')
    const version = await catalogVersion(c.env)
    return (await publicJson(c, { version, shared: true }, () => searchProducts(c.env, q))) as never
  })
  .openapi(adminCategoriesRoute, async (c) => {
    const { categories } = c.req.valid('json')
    return c.json(await upsertCategories(c.env, categories, Date.now()), 200)
  })
  .openapi(adminProductsRoute, async (c) => {
    const { products } = c.req.valid('json')
    return c.json(await upsertProducts(c.env, products, Date.now()), 200)
  })
