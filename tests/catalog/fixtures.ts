import { expect } from 'vitest'
import { ADMIN, call } from '../helpers/http'

let seq = 0

/** A prefix unique to this test run, so tests in one file never collide on slugs or skus. */
export function uniq(label: string): string {
  return `${label}-${Date.now().toString(36)}-${(++seq).toString(36)}`
}

export async function adminCategories(categories: unknown[]) {
  const res = await call('POST', '/v1/admin/categories', { headers: ADMIN, body: { categories } })
  expect(res.status, res.text).toBe(200)
  return res.body.items as Array<{ id: string; slug: string }>
}

export async function adminProducts(products: unknown[]) {
  const res = await call('POST', '/v1/admin/products', { headers: ADMIN, body: { products } })
  expect(res.status, res.text).toBe(200)
  return res.body.items as Array<{ id: string; sku: string }>
}

export function product(
  sku: string,
  title: string,
  categorySlug: string,
  extra: Record<string, unknown> = {},
) {
  return {
    sku,
    title,
    brand: title.split(' ')[0],
    price: { amount: 99900, currency: 'CNY' },
    category_slug: categorySlug,
    stock: 50,
    ...extra,
  }
}
