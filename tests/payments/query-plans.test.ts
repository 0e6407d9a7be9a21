import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { call, ADMIN } from '../helpers/http'
import { ORDER_UNITS_SQL } from '../../src/orders/purpose'
import { household, orderFromTv } from './helpers'
import { plansOf } from '../helpers/plans'
import { encodeCursor } from '../../src/lib/pagination'
import { listOrders } from '../../src/orders/orders'
import { listUserPayments } from '../../src/payments/queries'
import { purposes } from '../../src/wiring'

async function plan(sql: string, ...params: unknown[]) {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>()
  return results.map((r) => r.detail).join(' | ')
}

/** Every hot query reads through an index: no full scan, no temp sort. */
describe('query plans', () => {
  const cases: [string, string, unknown[], RegExp][] = [
    [
      'payment by id',
      'SELECT * FROM payments WHERE id = ?',
      ['x'],
      /USING INDEX sqlite_autoindex_payments_1/,
    ],
    [
      'open payment of a purpose',
      "SELECT * FROM payments WHERE purpose_type = ? AND purpose_id = ? AND status IN ('requires_confirmation', 'requires_capture')",
      ['order', 'x'],
      /USING INDEX payments_(open_purpose_uq|purpose_idx)/,
    ],
    [
      'due for expiry',
      "SELECT * FROM payments WHERE status = 'requires_confirmation' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
      [0, 100],
      /USING INDEX payments_expiry_idx/,
    ],
    [
      'order items',
      'SELECT * FROM order_items WHERE order_id = ? ORDER BY line',
      ['o'],
      /USING (INDEX|PRIMARY KEY).*order_items|sqlite_autoindex_order_items_1/,
    ],
    [
      'idempotency key',
      'SELECT * FROM idempotency_keys WHERE scope = ? AND key = ?',
      ['s', 'k'],
      /sqlite_autoindex_idempotency_keys_1/,
    ],
    [
      'idempotency cleanup',
      'SELECT rowid FROM idempotency_keys WHERE expires_at <= ? ORDER BY expires_at LIMIT ?',
      [0, 500],
      /USING (COVERING )?INDEX idempotency_keys_expiry_idx/,
    ],
    [
      'wallet',
      'SELECT id, balance FROM ledger_accounts WHERE id IN (?, ?)',
      ['a', 'b'],
      /sqlite_autoindex_ledger_accounts_1/,
    ],
    [
      'transfers of a payment',
      'SELECT * FROM ledger_transfers WHERE payment_id = ?',
      ['p'],
      /USING INDEX ledger_transfers_payment_idx/,
    ],
    [
      'payment methods',
      'SELECT * FROM payment_methods WHERE user_id = ? AND deleted_at IS NULL ORDER BY created_at DESC',
      ['u'],
      /USING INDEX payment_methods_user_idx/,
    ],
  ]
  for (const [name, sql, params, expected] of cases) {
    it(name, async () => {
      const detail = await plan(sql, ...params)
      expect(detail).toMatch(expected)
      expect(detail).not.toMatch(/USE TEMP B-TREE/)
    })
  }

  // The lists: the statements listUserPayments and listOrders build, first page and a later one.
  const later = encodeCursor([1, 'x'])
  const tv = { kind: 'device' as const, userId: 'u', deviceId: 'd', clientId: 'c' }
  const lists: [string, (env: Env) => Promise<unknown>, RegExp][] = [
    [
      'my payments',
      (e) => listUserPayments(e, purposes, 'u', { limit: 20 }, 0),
      /USING INDEX payments_user_created_idx/,
    ],
    [
      'my payments, a later page',
      (e) => listUserPayments(e, purposes, 'u', { limit: 20, cursor: later }, 0),
      /USING INDEX payments_user_created_idx \(user_id=\? AND \(created_at,id\)<\(\?,\?\)\)/,
    ],
    [
      'my payments by status',
      (e) => listUserPayments(e, purposes, 'u', { status: 'requires_confirmation', limit: 20 }, 0),
      /USING INDEX payments_user_status_idx/,
    ],
    [
      'my payments by status, a later page',
      (e) =>
        listUserPayments(e, purposes, 'u', { status: 'succeeded', limit: 20, cursor: later }, 0),
      /USING INDEX payments_user_status_idx/,
    ],
    ['my orders', (e) => listOrders(e, tv, { limit: 20 }), /USING INDEX orders_user_created_idx/],
    [
      'my orders, a later page',
      (e) => listOrders(e, tv, { limit: 20, cursor: later }),
      /USING INDEX orders_user_created_idx/,
    ],
  ]
  for (const [name, read, expected] of lists) {
    it(name, async () => {
      const plans = await plansOf(read)
      expect(plans.length).toBeGreaterThan(0)
      for (const p of plans) {
        expect(p).toMatch(expected)
        expect(p).not.toMatch(/USE TEMP B-TREE/)
      }
    })
  }

  for (const [outcome, sql] of Object.entries(ORDER_UNITS_SQL)) {
    it(`the end of an order (${outcome}) updates its products through primary keys`, async () => {
      const detail = await plan(sql, 'o')
      expect(detail).not.toMatch(/SCAN (products|orders)/)
    })
  }

  it('the endpoints behind these plans answer', async () => {
    const { user, tv } = await household()
    await orderFromTv(tv.token)
    expect(
      (await call('GET', '/v1/me/payments?status=requires_confirmation', { token: user.token }))
        .status,
    ).toBe(200)
    expect((await call('GET', '/v1/me/orders', { token: user.token })).status).toBe(200)
    expect(
      (await call('POST', '/v1/admin/wallets/usr_x/credits', { headers: ADMIN, body: {} })).status,
    ).toBe(400)
  })
})
