import { ApiError, type FieldError } from '../http/errors'
import { errorText } from '../lib/d1-errors'
import { newId } from '../lib/ids'
import { catalogVersionBumpStatement, forgetCatalogVersion } from './cache'
import { loadReadings } from './search-keys'
import {
  type CategoryInput,
  categoryUpsertSql,
  orderCategoriesForWrite,
  type ProductInput,
  productUpsertSql,
  toStatements,
} from './product-rows'

/**
 * Admin upserts. Each call is one `env.DB.batch()`: every row, every search key, the catalog
 * version bump and the read-back of ids commit together or not at all. Reads before the batch
 * only produce clear 400s; the invariants they check are also enforced inside the batch (NOT NULL
 * category_id, the category depth triggers), so a race aborts the batch instead of half-writing.
 * A product's stock is set absolutely but never below the units its pending orders hold
 * (products.reserved, which the upsert never writes): the CHECK products_reserved_within_stock
 * aborts the batch, and the 409 then names the rows.
 */

function placeholders(n: number) {
  return Array.from({ length: n }, () => '?').join(', ')
}

function rejectDuplicates(values: string[], field: string, list: string) {
  const seen = new Map<string, number>()
  const errors: FieldError[] = []
  values.forEach((v, i) => {
    if (seen.has(v))
      errors.push({
        path: `${list}.${i}.${field}`,
        message: `${field} ${v} appears twice in this call (first at ${seen.get(v)})`,
      })
    else seen.set(v, i)
  })
  if (errors.length > 0)
    throw new ApiError('validation_failed', `Each ${field} may appear once per call`, { errors })
}

function translateWriteError(err: unknown): unknown {
  const message = err instanceof Error ? err.message : String(err)
  if (message.includes('category_too_deep')) {
    return new ApiError(
      'category_too_deep',
      'Categories are two levels deep: a root and its children',
    )
  }
  if (message.includes('NOT NULL constraint failed: products.category_id')) {
    return new ApiError(
      'conflict',
      'A category changed during this write; nothing was written, retry',
    )
  }
  return err
}

export async function upsertCategories(env: Env, inputs: CategoryInput[], now: number) {
  await loadReadings()
  rejectDuplicates(
    inputs.map((c) => c.slug),
    'slug',
    'categories',
  )
  const bySlug = new Map(inputs.map((c) => [c.slug, c]))
  // Slugs and parent slugs can be 200: one JSON parameter, as D1 binds at most 100.
  const wanted = [...new Set(inputs.flatMap((c) => [c.slug, c.parent_slug ?? []].flat()))]
  const { results } = await env.DB.prepare(
    'SELECT slug, parent_id FROM categories WHERE slug IN (SELECT value FROM json_each(?))',
  )
    .bind(JSON.stringify(wanted))
    .all<{ slug: string; parent_id: string | null }>()
  const stored = new Map(results.map((r) => [r.slug, r]))

  const unknown: string[] = []
  const errors: FieldError[] = []
  inputs.forEach((c, i) => {
    const parentSlug = c.parent_slug
    if (!parentSlug) return
    const path = `categories.${i}.parent_slug`
    if (parentSlug === c.slug)
      return errors.push({ path, message: 'a category cannot be its own parent' })
    const parentInBatch = bySlug.get(parentSlug)
    const parentStored = stored.get(parentSlug)
    if (!parentInBatch && !parentStored) {
      unknown.push(parentSlug)
      return errors.push({ path, message: `unknown category ${parentSlug}` })
    }
    const parentIsChild = parentInBatch
      ? Boolean(parentInBatch.parent_slug)
      : parentStored!.parent_id !== null
    if (parentIsChild)
      errors.push({
        path,
        message: `${parentSlug} is itself a child: categories are two levels deep`,
      })
  })
  if (unknown.length > 0) {
    throw new ApiError(
      'unknown_category',
      `Unknown parent_slug: ${[...new Set(unknown)].join(', ')}`,
      {
        unknown_slugs: [...new Set(unknown)],
        errors,
      },
    )
  }
  if (errors.length > 0) throw new ApiError('category_too_deep', errors[0]!.message, { errors })

  const statements = orderCategoriesForWrite(inputs).flatMap((c) =>
    toStatements(env.DB, categoryUpsertSql(c, { id: newId('category'), now })),
  )
  const slugs = inputs.map((c) => c.slug)
  const readBack = env.DB.prepare(
    `SELECT id, slug FROM categories WHERE slug IN (${placeholders(slugs.length)})`,
  ).bind(...slugs)
  const ids = await runBatch(env, [...statements, catalogVersionBumpStatement(env), readBack])
  const idBySlug = new Map(ids.map((r) => [r.slug as string, r.id as string]))
  return { items: slugs.map((slug) => ({ id: idBySlug.get(slug)!, slug })) }
}

export async function upsertProducts(env: Env, inputs: ProductInput[], now: number) {
  await loadReadings()
  rejectDuplicates(
    inputs.map((p) => p.sku),
    'sku',
    'products',
  )
  const slugs = [...new Set(inputs.map((p) => p.category_slug))]
  const { results } = await env.DB.prepare(
    `SELECT slug FROM categories WHERE slug IN (${placeholders(slugs.length)})`,
  )
    .bind(...slugs)
    .all<{ slug: string }>()
  const known = new Set(results.map((r) => r.slug))
  const unknown = slugs.filter((s) => !known.has(s))
  if (unknown.length > 0) {
    const errors = inputs.flatMap((p, i) =>
      known.has(p.category_slug)
        ? []
        : [{ path: `products.${i}.category_slug`, message: `unknown category ${p.category_slug}` }],
    )
    throw new ApiError('unknown_category', `Unknown category_slug: ${unknown.join(', ')}`, {
      unknown_slugs: unknown,
      errors,
    })
  }

  const statements = inputs.flatMap((p) =>
    toStatements(env.DB, productUpsertSql(p, { id: newId('product'), now })),
  )
  const skus = inputs.map((p) => p.sku)
  const readBack = env.DB.prepare(
    `SELECT id, sku FROM products WHERE sku IN (${placeholders(skus.length)})`,
  ).bind(...skus)
  let ids: Record<string, unknown>[]
  try {
    ids = await runBatch(env, [...statements, catalogVersionBumpStatement(env), readBack])
  } catch (err) {
    if (!/products_reserved_within_stock/.test(errorText(err))) throw err
    throw await stockBelowHeld(env, inputs)
  }
  const idBySku = new Map(ids.map((r) => [r.sku as string, r.id as string]))
  return { items: skus.map((sku) => ({ id: idBySku.get(sku)!, sku })) }
}

/** After the CHECK aborted the batch: which rows asked for less stock than their orders hold. */
async function stockBelowHeld(env: Env, inputs: ProductInput[]): Promise<ApiError> {
  const skus = inputs.map((p) => p.sku)
  const { results } = await env.DB.prepare(
    `SELECT sku, reserved FROM products WHERE sku IN (${placeholders(skus.length)})`,
  )
    .bind(...skus)
    .all<{ sku: string; reserved: number }>()
  const held = new Map(results.map((r) => [r.sku, r.reserved]))
  const below = inputs.flatMap((p, i) => {
    const reserved = held.get(p.sku) ?? 0
    return p.stock < reserved ? [{ i, sku: p.sku, reserved }] : []
  })
  if (below.length === 0) {
    // The orders holding the units ended between the batch and this read: a retry can pass.
    const detail = 'Units held by pending orders changed during this write; nothing was written'
    return new ApiError('conflict', `${detail}, retry`)
  }
  const errors = below.map((b) => ({
    path: `products.${b.i}.stock`,
    message: `at least ${b.reserved}`,
  }))
  const first = below[0]!
  const detail =
    below.length === 1
      ? `stock of ${first.sku} cannot go below the ${first.reserved} units held by pending orders`
      : `stock of ${below.length} products cannot go below the units held by pending orders`
  return new ApiError('conflict', `${detail}; nothing was written`, { errors })
}

/** Runs the batch and returns the rows of its last statement (the read-back). */
async function runBatch(
  env: Env,
  statements: D1PreparedStatement[],
): Promise<Record<string, unknown>[]> {
  try {
    const results = await env.DB.batch<Record<string, unknown>>(statements)
    return results[results.length - 1]!.results
  } catch (err) {
    throw translateWriteError(err)
  } finally {
    forgetCatalogVersion()
  }
}
