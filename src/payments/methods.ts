import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
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

type MethodRow = { id: string; provider: string; brand: string; last4: string; exp_month: number; exp_year: number; created_at: number }

const MAX_METHODS = 20

/** Stores a provider token and its display details (brand, last4, expiry): never a card number. */
export async function addPaymentMethod(env: Env, userId: string, providerName: string, token: string, now: number) {
  const provider = providerFor(env, providerName)
  const card = await provider.describe(token)
  if (!card) throw new ApiError('validation_failed', `The ${providerName} provider does not know this token`, { errors: [{ path: 'token', message: 'unknown token' }] })
  const id = newId('paymentMethod')
  const res = await env.DB.prepare(
    `INSERT INTO payment_methods (id, user_id, provider, token, brand, last4, exp_month, exp_year, created_at)
     SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
     WHERE (SELECT COUNT(*) FROM payment_methods WHERE user_id = ? AND deleted_at IS NULL) < ?`,
  )
    .bind(id, userId, provider.name, token, card.brand, card.last4, card.expMonth, card.expYear, now, userId, MAX_METHODS)
    .run()
  if (res.meta.changes !== 1) throw new ApiError('limit_exceeded', `At most ${MAX_METHODS} payment methods per person`)
  return toView({ id, provider: provider.name, brand: card.brand, last4: card.last4, exp_month: card.expMonth, exp_year: card.expYear, created_at: now })
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

export async function deletePaymentMethod(env: Env, userId: string, id: string, now: number): Promise<void> {
  const res = await env.DB.prepare(
    'UPDATE payment_methods SET deleted_at = ?, token = ? WHERE id = ? AND user_id = ? AND deleted_at IS NULL',
  )
    .bind(now, '', id, userId)
    .run()
  if (res.meta.changes !== 1) throw new ApiError('not_found', 'No such payment method')
}

function toView(r: MethodRow): PaymentMethodView {
  return {
    id: r.id,
    provider: r.provider,
    brand: r.brand,
    last4: r.last4,
    exp_month: r.exp_month,
    exp_year: r.exp_year,
    created_at: new Date(r.created_at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  }
}
