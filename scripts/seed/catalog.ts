// The demo store: categories and products generated from a seed, the same on every machine.
// Product i depends only on (seed, i), so the 2,000-product dev store is a prefix of the
// 100,000-product bench store.
import { APPLIANCE_CATEGORIES } from './catalog-appliances'
import { DIGITAL_CATEGORIES } from './catalog-digital'
import { GROCERY_CATEGORIES } from './catalog-groceries'
import { salesCount, stockCount } from './catalog-price'
import type { CategorySpec, ParentCategory } from './catalog-types'
import { rng } from './prng'

export const DEFAULT_SEED = 'tvpay-demo-v1'

export const PARENT_CATEGORIES: ParentCategory[] = [
  { slug: 'appliances', name: '家用电器' },
  { slug: 'digital', name: '手机数码' },
  { slug: 'groceries', name: '食品饮料' },
  { slug: 'household', name: '日用百货' },
]

export const CATEGORY_SPECS: CategorySpec[] = [
  ...APPLIANCE_CATEGORIES,
  ...DIGITAL_CATEGORIES,
  ...GROCERY_CATEGORIES,
]

export type SeedCategory = { slug: string; name: string; parentSlug: string | null }

export type SeedImage = { url: string; width: number; height: number }

export type SeedProduct = {
  sku: string
  title: string
  brand: string
  description: string
  priceFen: number
  categorySlug: string
  stock: number
  /** Popularity; not part of the admin upsert (orders drive it), so the seeder sets it after. */
  sales: number
  images: SeedImage[]
  attributes: Record<string, string>
}

/** Parents first, so a writer that resolves parent slugs sees each parent before its children. */
export function seedCategories(): SeedCategory[] {
  return [
    ...PARENT_CATEGORIES.map((p) => ({ slug: p.slug, name: p.name, parentSlug: null })),
    ...CATEGORY_SPECS.map((c) => ({ slug: c.slug, name: c.name, parentSlug: c.parentSlug })),
  ]
}

/** Placeholder pictures that render anywhere, sized like a shop's (square main, tall detail). */
function placeholder(sku: string, n: number, width: number, height: number): SeedImage {
  return { url: `https://placehold.co/${width}x${height}/png?text=${sku}-${n}`, width, height }
}

export function seedProduct(index: number, seed = DEFAULT_SEED): SeedProduct {
  const r = rng(`${seed}:product:${index}`)
  const spec = r.weighted(CATEGORY_SPECS, (c) => c.weight)
  const draft = spec.build(r)
  const sku = `${spec.skuPrefix}-${String(index + 1).padStart(6, '0')}`
  const images = [placeholder(sku, 1, 800, 800)]
  const gallery = r.int(1, 3)
  for (let n = 2; n <= gallery + 1; n++) images.push(placeholder(sku, n, 800, 800))
  images.push(placeholder(sku, gallery + 2, 750, 1000))
  return {
    sku,
    title: draft.title,
    brand: draft.brand,
    description: `${draft.highlights.join('，')}。${r.pick(spec.service)}。`,
    priceFen: draft.priceFen,
    categorySlug: spec.slug,
    stock: stockCount(r, spec.plentyStock),
    sales: salesCount(r, spec.maxSales),
    images,
    attributes: draft.attributes,
  }
}

export function* seedProducts(count: number, seed = DEFAULT_SEED, from = 0) {
  for (let i = from; i < from + count; i++) yield seedProduct(i, seed)
}
