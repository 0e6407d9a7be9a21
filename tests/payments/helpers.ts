import { env } from 'cloudflare:test'
import { ADDRESS } from '../../fixtures/shipping-address'
import { newId } from '../../src/lib/ids'
import { newPaymentStatements } from '../../src/payments/intents'
import { hashPin } from '../../src/auth/pin'
import { expect } from 'vitest'
import { ADMIN, call } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'

export const PIN = '246810'

export { ADDRESS }

let category: Promise<unknown> | undefined

/** A product to order, created through the catalog's admin API (the products contract). */
export async function seedProduct(opts: { price: number; stock: number; title?: string }) {
  category ??= call('POST', '/v1/admin/categories', {
    headers: ADMIN,
    body: { categories: [{ slug: 'payments-tests', name: 'Payments tests' }] },
  })
  await category
  const sku = `SKU-${newId('product').slice(5)}`
  const res = await call('POST', '/v1/admin/products', {
    headers: ADMIN,
    body: {
      products: [
        {
          sku,
          title: opts.title ?? 'Test product',
          brand: 'tvpay',
          price: { amount: opts.price, currency: 'CNY' },
          category_slug: 'payments-tests',
          stock: opts.stock,
        },
      ],
    },
  })
  if (res.status !== 200) throw new Error(`product upsert failed: ${res.status} ${res.text}`)
  return res.body.items[0].id
}

/** Units an order can still take: stock minus the units held by orders awaiting payment. */
export async function stockOf(productId: string): Promise<number> {
  const row = await env.DB.prepare(
    'SELECT stock - reserved AS available FROM products WHERE id = ?',
  )
    .bind(productId)
    .first<{ available: number }>()
  return row!.available
}

/** On hand (including held units) and held by orders awaiting payment. */
export async function unitsOf(productId: string): Promise<{ stock: number; reserved: number }> {
  const row = await env.DB.prepare('SELECT stock, reserved FROM products WHERE id = ?')
    .bind(productId)
    .first<{ stock: number; reserved: number }>()
  return row!
}

/** A user with a payment PIN, a paired TV, and optionally money in the wallet. */
export async function household(opts: { balance?: number } = {}) {
  const user = await createTestUser()
  await env.DB.prepare('UPDATE users SET pin_hash = ? WHERE id = ?')
    .bind(await hashPin(env, PIN), user.id)
    .run()
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
export async function orderFromTv(
  tvToken: string,
  opts: { price?: number; stock?: number; quantity?: number } = {},
) {
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

export function confirm(
  userToken: string,
  paymentId: string,
  body: unknown = confirmBody(),
  key?: string,
) {
  return call('POST', `/v1/payments/${paymentId}/confirm`, {
    token: userToken,
    body,
    headers: key ? { 'idempotency-key': key } : {},
  })
}

/** A merchant payment for an order id that doesn't exist, so the order purpose has nothing to
 *  update: for driving payment transitions below the HTTP layer. */
export async function startBarePayment(
  userId: string,
  amount: number,
  capture: 'automatic' | 'manual',
) {
  const { paymentId, statements } = newPaymentStatements(env, {
    purpose: { type: 'order', id: `ord_bare_${crypto.randomUUID()}` },
    userId,
    startedBy: { kind: 'user', userId },
    amount,
    capture,
    payee: { kind: 'merchant' },
    now: Date.now(),
  })
  await env.DB.batch(statements)
  return paymentId
}

/** A sandbox card saved for the person (providers/sandbox.ts lists the test tokens). */
export async function addCard(token: string, cardToken: string) {
  const res = await call('POST', '/v1/me/payment-methods', {
    token,
    body: { provider: 'sandbox', token: cardToken },
  })
  expect(res.status, res.text).toBe(201)
  return res.body.id as string
}

/** What the sandbox gateway's own book holds for a payment's calls, oldest first. */
export async function sandboxOps(paymentId: string) {
  const { results } = await env.DB.prepare(
    'SELECT op, outcome FROM sandbox_operations WHERE idempotency_key LIKE ? ORDER BY created_at',
  )
    .bind(`${paymentId}:%`)
    .all<{ op: string; outcome: string }>()
  return results
}

/** A bare manual-capture payment its person holds on a saved sandbox card (`requires_capture`). */
export async function heldOnCard(cardToken: string, amount: number) {
  const { user } = await household()
  const card = await addCard(user.token, cardToken)
  const paymentId = await startBarePayment(user.id, amount, 'manual')
  const body = confirmBody({ payment_method: card, shipping_address: ADDRESS })
  const held = await confirm(user.token, paymentId, body)
  expect(held.body.payment?.status, held.text).toBe('requires_capture')
  return paymentId
}
