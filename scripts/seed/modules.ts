import type { SqlUnit } from './sql'

export type SeedContext = {
  /** Same seed, same rows: ids, titles, prices and stock are all derived from it. */
  seed: string
  /** How many products the catalog module writes (2,000 for dev, 100,000 for the bench). */
  products: number
  /** created_at / updated_at of what this run writes. */
  now: number
}

/**
 * One capability's demo data, as SQL units in write order. A module must be idempotent (upsert by
 * a natural key such as sku or slug) because `npm run dev` seeds on every start, and must write
 * through the same SQL its admin routes write, so seeded rows equal API-written rows.
 * Rows of other modules are found by natural key, e.g. `(SELECT id FROM products WHERE sku = ?)`.
 */
export type SeedModule = {
  name: string
  /** Files (from the repo root) whose code decides the rows: a change there means re-seed. */
  sources: string[]
  units(ctx: SeedContext): Iterable<SqlUnit>
}
