import {
  type CategoryInput,
  categoryUpsertSql,
  orderCategoriesForWrite,
  type ProductInput,
  productUpsertSql,
} from '../../src/catalog/product-rows'
import { loadReadings } from '../../src/catalog/search-keys'
import { money } from '../../src/lib/money'
import { type SeedProduct, seedCategories, seedProduct } from './catalog'
import { seededId } from './ids'
import type { SeedModule } from './modules'
import type { Sql } from './sql'

/** The admin API's body for a category, as `POST /v1/admin/categories` would receive it. */
export function categoryInputs(): CategoryInput[] {
  return seedCategories().map((c, position) => ({
    slug: c.slug,
    name: c.name,
    parent_slug: c.parentSlug,
    position,
  }))
}

/** The admin API's body for a product, as `POST /v1/admin/products` would receive it. */
export function productInput(p: SeedProduct): ProductInput {
  return {
    sku: p.sku,
    title: p.title,
    brand: p.brand,
    description: p.description,
    price: money(p.priceFen),
    category_slug: p.categorySlug,
    stock: p.stock,
    sales: p.sales,
    images: p.images,
    attributes: p.attributes,
  }
}

// The seed keys titles synchronously (units() is a generator): pinyin-pro is loaded up front.
await loadReadings()

/** Public catalog reads are cached under catalog_state.version: a re-seed must move it. */
const BUMP_CATALOG_VERSION: Sql = {
  sql: 'UPDATE catalog_state SET version = version + 1 WHERE id = 1',
  params: [],
}

export const catalogSeed: SeedModule = {
  name: 'catalog',
  sources: [
    'src/catalog/product-rows.ts',
    'src/catalog/search-keys.ts',
    'src/lib/ids.ts',
    'src/lib/money.ts',
  ],
  *units({ seed, products, now }) {
    const categories = orderCategoriesForWrite(categoryInputs())
    for (const [i, input] of categories.entries()) {
      yield categoryUpsertSql(input, { id: seededId('category', i, seed), now })
    }
    for (let i = 0; i < products; i++) {
      const id = seededId('product', i, seed)
      yield productUpsertSql(productInput(seedProduct(i, seed)), { id, now })
    }
    yield [BUMP_CATALOG_VERSION]
  },
}
