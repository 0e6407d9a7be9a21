import { type Category, toCategory } from './views'

/** A TV store has tens of categories, not thousands: the whole tree in one small read. */
export const MAX_CATEGORIES = 500

export function listCategoriesStatement(env: Env) {
  return env.DB.prepare(
    `SELECT id, slug, name, parent_id FROM categories
     ORDER BY parent_id IS NOT NULL, position, slug LIMIT ${MAX_CATEGORIES}`,
  )
}

export async function listCategories(env: Env): Promise<{ items: Category[] }> {
  const { results } = await listCategoriesStatement(env).all<Parameters<typeof toCategory>[0]>()
  return { items: results.map(toCategory) }
}
