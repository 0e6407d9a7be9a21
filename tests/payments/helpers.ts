import { env } from 'cloudflare:test'
import { newId } from '../../src/lib/ids'
import { pinHashFor } from '../../src/payments/pin'
import { ADMIN, call } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'

export const PIN = '246810'

export const ADDRESS = {
  name: '张伟',
  phone: '13800138000',
  province: '浙江省',
  city: '杭州市',
  district: '西湖区',
  line1: '文三路 100 号',
  postal_code: '310012',
}

/** A product to order, written straight into the catalog's tables (one shared test category). */
export async function seedProduct(opts: { price: number; stock: number; title?: string }): Promise<string> {
  const now = Date.now()
  await env.DB.prepare(
    `INSERT OR IGNORE INTO categories (id, slug, name, search_id, created_at, updated_at)
     VALUES ('cat_payments_tests', 'payments-tests', 'Payments tests',
       (SELECT COALESCE(MAX(search_id), 0) + 1 FROM categories), ?, ?)`,
  )
    .bind(now, now)
    .run()
  const id = newId('product')
  await env.DB.prepare(
    `INSERT INTO products (id, sku, title, brand, category_id, root_category_id, price, stock, search_id,
       created_at, updated_at)
     VALUES (?, ?, ?, 'tvpay', 'cat_payments_tests', 'cat_payments_tests', ?, ?,
       (SELECT COALESCE(MAX(search_id), 0) + 1 FROM products), ?, ?)`,
  )
    .bind(id, `SKU-${id}`, opts.title ?? 'Test product', opts.price, opts.stock, now, now)
    .run()
  return id
}

export async function stockOf(productId: string): Promise<number> {
  const row = await env.DB.prepare('SELECT stock FROM products WHERE id = ?').bind(productId).first<{ stock: number }>()
  return row!.stock
}

/** A user with a payment PIN, a paired TV, and optionally money in the wallet. */
export async function household(opts: { balance?: number } = {}) {
  const user = await createTestUser()
  await env.DB.prepare('UPDATE users SET pin_hash = ? WHERE id = ?').bind(await pinHashFor(env, PIN), user.id).run()
  const tv = await createTestDevice(user.id)
  if (opts.balance) await creditWallet(user.id, opts.balance)
  return { user, tv }
}

export async function creditWallet(userId: string, amount: number, key?: string) {
  const res = await call('POST', `/v1/admin/wallets/${userId}/credits`, {
    body: { amount: { amount, currency: 'CNY' }, reason: 'test top-up' },
    headers: { ...ADMIN, ...(key ? { 'idempotency-key': key } : {}) },
  })
  if (res.status !== 201) throw new Error(`credit failed: ${res.status} ${res.text}`)
  return res
}

/** The TV orders `quantity` of a fresh product priced `price`. */
export async function orderFromTv(tvToken: string, opts: { price?: number; stock?: number; quantity?: number } = {}) {
  const productId = await seedProduct({ price: opts.price ?? 1000, stock: opts.stock ?? 10 })
  const res = await call('POST', '/v1/orders', {
    token: tvToken,
    body: { items: [{ product_id: productId, quantity: opts.quantity ?? 1 }] },
  })
  if (res.status !== 201) throw new Error(`order failed: ${res.status} ${res.text}`)
  return { productId, order: res.body.order, payment: res.body.payment }
}

export function confirmBody(extra: Record<string, unknown> = {}) {
  return { payment_method: 'wallet', pin: PIN, shipping_address: ADDRESS, ...extra }
}

export function confirm(userToken: string, paymentId: string, body: unknown = confirmBody(), key?: string) {
  return call('POST', `/v1/payments/${paymentId}/confirm`, {
    token: userToken,
    body,
    headers: key ? { 'idempotency-key': key } : {},
  })
}
