import { env } from 'cloudflare:test'
import { ADMIN, call } from '../helpers/http'
import { walletBalance } from '../../src/payments/ledger'
import { seedProduct } from '../payments/helpers'

export { confirm, confirmBody, household, seedProduct } from '../payments/helpers'

const HOUR = 3600_000

export type DealOptions = {
  price?: number
  listPrice?: number
  stock?: number
  minGroupSize?: number
  maxPerUser?: number
  startsAt?: number
  endsAt?: number
  mode?: 'group' | 'team'
  teamSize?: number
  teamWindowSeconds?: number
}

export function dealBody(productId: string, o: DealOptions = {}) {
  const team = o.mode === 'team'
  return {
    product_id: productId,
    deal_price: { amount: o.price ?? 1000, currency: 'CNY' },
    starts_at: new Date(o.startsAt ?? Date.now() - 60_000).toISOString(),
    ends_at: new Date(o.endsAt ?? Date.now() + 2 * HOUR).toISOString(),
    ...(team ? {} : { min_group_size: o.minGroupSize ?? 2 }),
    stock: o.stock ?? 10,
    max_per_user: o.maxPerUser ?? 5,
    ...(team ? { mode: 'team', team_size: o.teamSize ?? 2, team_window_seconds: o.teamWindowSeconds ?? 3600 } : {}),
  }
}

/** A fresh product and an active deal on it, created through the admin API. */
export async function createDeal(o: DealOptions = {}) {
  const productId = await seedProduct({ price: o.listPrice ?? 2000, stock: 100, title: '小米电视 55 英寸' })
  const res = await call('POST', '/v1/admin/deals', { headers: ADMIN, body: dealBody(productId, o) })
  if (res.status !== 201) throw new Error(`deal creation failed: ${res.status} ${res.text}`)
  return res.body as { id: string; [k: string]: any }
}

export function join(token: string, dealId: string, body: Record<string, unknown> = { quantity: 1 }, headers: Record<string, string> = {}) {
  return call('POST', `/v1/deals/${dealId}/join`, { token, body, headers })
}

export async function joined(token: string, dealId: string, body: Record<string, unknown> = { quantity: 1 }) {
  const res = await join(token, dealId, body)
  if (res.status !== 201) throw new Error(`join failed: ${res.status} ${res.text}`)
  return res.body as { participation: any; payment: any }
}

export async function dealRow(dealId: string) {
  return (await env.DB.prepare('SELECT * FROM deals WHERE id = ?').bind(dealId).first<any>())!
}

export async function paymentStatus(paymentId: string) {
  const row = await env.DB.prepare('SELECT status FROM payments WHERE id = ?').bind(paymentId).first<{ status: string }>()
  return row!.status
}

export async function participationRow(id: string) {
  return (await env.DB.prepare('SELECT * FROM deal_participations WHERE id = ?').bind(id).first<any>())!
}

export function wallet(userId: string) {
  return walletBalance(env.DB, userId)
}

/** Moves a deal's window so that it ended a moment ago (tests cannot wait for the clock). */
export async function endDeal(dealId: string) {
  const now = Date.now()
  await env.DB.prepare('UPDATE deals SET starts_at = ?, ends_at = ? WHERE id = ?').bind(now - 2 * HOUR, now - 1000, dealId).run()
}

export { HOUR }
