import { env } from 'cloudflare:test'
import { walletBalance } from '../../src/payments'
import { ADMIN, call } from '../helpers/http'
import { seedProduct } from '../payments/helpers'

export { confirm, confirmBody, household, seedProduct } from '../payments/helpers'

export const HOUR = 3600_000

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
  const teamFields = {
    mode: 'team',
    team_size: o.teamSize ?? 2,
    team_window_seconds: o.teamWindowSeconds ?? 3600,
  }
  return {
    product_id: productId,
    deal_price: { amount: o.price ?? 1000, currency: 'CNY' },
    starts_at: new Date(o.startsAt ?? Date.now() - 60_000).toISOString(),
    ends_at: new Date(o.endsAt ?? Date.now() + 2 * HOUR).toISOString(),
    ...(team ? {} : { min_group_size: o.minGroupSize ?? 2 }),
    stock: o.stock ?? 10,
    max_per_user: o.maxPerUser ?? 5,
    ...(team ? teamFields : {}),
  }
}

/** An admin API call. */
export function admin(method: string, path: string, body?: unknown) {
  return call(method, path, { headers: ADMIN, body })
}

/** A fresh product and an active deal on it, created through the admin API. */
export async function createDeal(o: DealOptions = {}) {
  const product = { price: o.listPrice ?? 2000, stock: 100, title: '小米电视 55 英寸' }
  const productId = await seedProduct(product)
  const res = await admin('POST', '/v1/admin/deals', dealBody(productId, o))
  if (res.status !== 201) throw new Error(`deal creation failed: ${res.status} ${res.text}`)
  return res.body as { id: string; [k: string]: any }
}

type Body = Record<string, unknown>

export function join(
  token: string,
  dealId: string,
  body: Body = { quantity: 1 },
  headers: Record<string, string> = {},
) {
  return call('POST', `/v1/deals/${dealId}/join`, { token, body, headers })
}

export async function joined(token: string, dealId: string, body: Body = { quantity: 1 }) {
  const res = await join(token, dealId, body)
  if (res.status !== 201) throw new Error(`join failed: ${res.status} ${res.text}`)
  return res.body as { participation: any; payment: any }
}

/** The first row of a query (tests read rows directly to check what the API wrote). */
export function row<T = any>(statement: string, ...params: unknown[]): Promise<T | null> {
  return env.DB.prepare(statement)
    .bind(...params)
    .first<T>()
}

export function sql(statement: string, ...params: unknown[]) {
  return env.DB.prepare(statement)
    .bind(...params)
    .run()
}

export async function dealRow(dealId: string) {
  return (await row('SELECT * FROM deals WHERE id = ?', dealId))!
}

export async function paymentStatus(paymentId: string) {
  return (await row('SELECT status FROM payments WHERE id = ?', paymentId)).status as string
}

export async function participationRow(id: string) {
  return (await row('SELECT * FROM deal_participations WHERE id = ?', id))!
}

export function wallet(userId: string) {
  return walletBalance(env.DB, userId)
}

/** Moves a deal's window so that it ended a moment ago (tests cannot wait for the clock). */
export async function endDeal(dealId: string) {
  const now = Date.now()
  const moved = [now - 2 * HOUR, now - 1000, dealId]
  await sql('UPDATE deals SET starts_at = ?, ends_at = ? WHERE id = ?', ...moved)
}

type BatchFn = (statements: D1PreparedStatement[]) => Promise<D1Result[]>

/** The env with D1's batch() wrapped: to let another writer in first, or to make a batch fail. */
export function withBatch(base: Env, wrap: (batch: BatchFn) => BatchFn): Env {
  const db = new Proxy(base.DB, {
    get(target, key) {
      if (key === 'batch') return wrap((statements) => target.batch(statements))
      const value = Reflect.get(target, key)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { ...base, DB: db }
}

/**
 * Waits until `check` holds: captures and releases run from the settlement queue, a moment after
 * whatever enqueued them (the consumer's batch timeout is 1 s).
 */
export async function eventually(check: () => Promise<boolean>, what = 'condition', ms = 15_000) {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Waits until every payment is in `status` (moved by the settlement queue). */
export function settledAs(status: string, paymentIds: string[]) {
  return eventually(async () => {
    for (const id of paymentIds) if ((await paymentStatus(id)) !== status) return false
    return true
  }, `${paymentIds.length} payments ${status}`)
}
