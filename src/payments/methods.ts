import type { paymentMethods } from '../db/schema/payments'
import type { RowOf } from '../db/rows'
import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
import { iso } from '../lib/time'
import { providerFor } from './providers'

export type PaymentMethodView = {
  id: string
  provider: string
  brand: string
  last4: string
  exp_month: number
  exp_year: number
  created_at: string
}

type MethodRow = Pick<
  RowOf<typeof paymentMethods>,
  'id' | 'provider' | 'brand' | 'last4' | 'exp_month' | 'exp_year' | 'created_at'
>

const MAX_METHODS = 20

/** Stores a provider token and its display details (brand, last4, expiry): never a card number. */
export async function addPaymentMethod(
  env: Env,
  userId: string,
  providerName: string,
  token: string,
  now: number,
): Promise<PaymentMethodView> {
  const provider = providerFor(env, providerName)
  const card = await provider.describe(token)
  if (!card) {
    const detail = `The ${providerName} provider does not know this token`
    throw new ApiError('validation_failed', detail, {
      errors: [{ path: 'token', message: 'unknown token' }],
    })
  }
  const row: MethodRow = {
    id: newId('paymentMethod'),
    provider: provider.name,
    brand: card.brand,
    last4: card.last4,
    exp_month: card.expMonth,
    exp_year: card.expYear,
    created_at: now,
  }
  // The cap is checked in the INSERT itself, so concurrent adds cannot pass it.
  const res = await env.DB.prepare(
    `INSERT INTO payment_methods
       (id, user_id, provider, token, brand, last4, exp_month, exp_year, created_at)
     SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
     WHERE (SELECT COUNT(*) FROM payment_methods WHERE user_id = ? AND deleted_at IS NULL) < ?`,
  )
    .bind(
      ...[row.id, userId, row.provider, token, row.brand, row.last4],
      ...[row.exp_month, row.exp_year, now],
      ...[userId, MAX_METHODS],
    )
    .run()
  if (res.meta.changes !== 1) {
    throw new ApiError('limit_exceeded', `At most ${MAX_METHODS} payment methods per person`)
  }
  return toView(row)
}

export async function listPaymentMethods(env: Env, userId: string): Promise<PaymentMethodView[]> {
  const { results } = await env.DB.prepare(
    `SELECT id, provider, brand, last4, exp_month, exp_year, created_at FROM payment_methods
     WHERE user_id = ? AND deleted_at IS NULL ORDER BY created_at DESC`,
  )
    .bind(userId)
    .all<MethodRow>()
  return results.map(toView)
}

/** Soft delete (payments keep pointing at the id); the token itself is blanked. */
export async function deletePaymentMethod(env: Env, userId: string, id: string, now: number) {
  const res = await env.DB.prepare(
    `UPDATE payment_methods SET deleted_at = ?, token = ''
     WHERE id = ? AND user_id = ? AND deleted_at IS NULL`,
  )
    .bind(now, id, userId)
    .run()
  if (res.meta.changes !== 1) throw new ApiError('not_found', 'No such payment method')
}

/** What a confirmation charges: the provider and its token. */
export type ChargeableMethod = Pick<RowOf<typeof paymentMethods>, 'id' | 'provider' | 'token'>

/** The person's own saved method, not deleted; anything else is 404. */
export async function findChargeableMethod(
  env: Env,
  userId: string,
  id: string,
): Promise<ChargeableMethod> {
  const row = await env.DB.prepare(
    `SELECT id, provider, token FROM payment_methods
     WHERE id = ? AND user_id = ? AND deleted_at IS NULL`,
  )
    .bind(id, userId)
    .first<ChargeableMethod>()
  if (!row) {
    const detail = 'No such payment method (use "wallet" or an id from /v1/me/payment-methods)'
    throw new ApiError('not_found', detail)
  }
  return row
}

function toView(r: MethodRow): PaymentMethodView {
  const { id, provider, brand, last4, exp_month, exp_year } = r
  return { id, provider, brand, last4, exp_month, exp_year, created_at: iso(r.created_at) }
}
