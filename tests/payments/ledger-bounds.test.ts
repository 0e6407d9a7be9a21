import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { balanceOf, expectLedgerBalanced, transfersOf } from '../helpers/ledger'
import { confirm, confirmBody, household, orderFromTv } from './helpers'

// Finding 3 of issue 14: every ledger account (the funding and provider accounts too) stays within
// ±(2^53 − 1) and so does every amount, so every balance reads back exactly and the ledger sums
// to zero. Its own file (own storage): the funding account ends at the bound.
const MAX = Number.MAX_SAFE_INTEGER

function credit(userId: string, amount: number) {
  return call('POST', `/v1/admin/wallets/${userId}/credits`, {
    headers: ADMIN,
    body: { amount: { amount, currency: 'CNY' }, reason: 'bound' },
  })
}

async function sqlSum(): Promise<string> {
  const row = await env.DB.prepare(
    'SELECT CAST(SUM(balance) AS TEXT) AS s, COUNT(*) AS n FROM ledger_accounts',
  ).first<{ s: string }>()
  return row!.s
}

async function expectExactLedger() {
  expect(await sqlSum()).toBe('0')
  const { results } = await env.DB.prepare(
    'SELECT id, CAST(balance AS TEXT) AS exact, balance FROM ledger_accounts',
  ).all<{ id: string; exact: string; balance: number }>()
  for (const a of results)
    expect({ id: a.id, balance: String(a.balance) }).toEqual({ id: a.id, balance: a.exact })
  await expectLedgerBalanced(env.DB)
}

describe('the ledger near 2^53', () => {
  let rich: Awaited<ReturnType<typeof household>>
  let second: Awaited<ReturnType<typeof household>>

  it('the funding account is bounded: a credit that takes it past -(2^53 - 1) is refused whole', async () => {
    rich = await household()
    second = await household()
    expect((await credit(rich.user.id, MAX - 10)).status).toBe(201)
    expectProblem(await credit(second.user.id, 11), 409, 'conflict')
    expect(await balanceOf(env.DB, 'funding')).toBe(-(MAX - 10))
    const wallet = await call('GET', '/v1/me/wallet', { token: second.user.token })
    expect(wallet.body.balance.amount).toBe(0)
    expect((await credit(second.user.id, 10)).status).toBe(201)
    expect(await balanceOf(env.DB, 'funding')).toBe(-MAX)
    await expectExactLedger()
  })

  it('the merchant account is bounded: a card payment past it is refused, the card given back, the payment still confirmable', async () => {
    const bigOrder = await orderFromTv(rich.tv.token, { price: MAX - 10, stock: 1 })
    const paid = await confirm(rich.user.token, bigOrder.payment.id)
    expect(paid.status, paid.text).toBe(200)
    expect(await balanceOf(env.DB, 'merchant:receivable')).toBe(MAX - 10)

    const card = await call('POST', '/v1/me/payment-methods', {
      token: second.user.token,
      body: { provider: 'sandbox', token: 'tok_visa' },
    })
    expect(card.status, card.text).toBe(201)
    const over = await orderFromTv(second.tv.token, { price: 11 })
    const refused = await confirm(
      second.user.token,
      over.payment.id,
      confirmBody({ payment_method: card.body.id }),
    )
    expectProblem(refused, 409, 'conflict')
    expect(await transfersOf(env.DB, over.payment.id)).toEqual([])
    const ops = await env.DB.prepare(
      'SELECT op FROM sandbox_operations WHERE idempotency_key LIKE ? ORDER BY created_at',
    )
      .bind(`${over.payment.id}:%`)
      .all<{ op: string }>()
    expect(ops.results.map((r) => r.op)).toEqual(['authorize', 'capture', 'refund'])
    const still = await call('GET', `/v1/payments/${over.payment.id}`, { token: second.user.token })
    expect(still.body.status).toBe('requires_confirmation')
    expect(await balanceOf(env.DB, 'merchant:receivable')).toBe(MAX - 10)

    // Exactly up to the bound is fine.
    const fits = await orderFromTv(second.tv.token, { price: 10 })
    const ok = await confirm(
      second.user.token,
      fits.payment.id,
      confirmBody({ payment_method: 'wallet' }),
    )
    expect(ok.status, ok.text).toBe(200)
    expect(await balanceOf(env.DB, 'merchant:receivable')).toBe(MAX)
    await expectExactLedger()

    // A refund takes it back down exactly.
    const refund = await call('POST', `/v1/payments/${bigOrder.payment.id}/refund`, {
      headers: ADMIN,
    })
    expect(refund.status, refund.text).toBe(200)
    expect(await balanceOf(env.DB, 'merchant:receivable')).toBe(10)
    await expectExactLedger()
  })

  it('SQL itself refuses a balance or a transfer amount past the bound', async () => {
    await expect(
      env.DB.prepare("UPDATE ledger_accounts SET balance = balance - 1 WHERE id = 'funding'").run(),
    ).rejects.toThrow(/ledger_accounts_balance_bounded/)
    await expect(
      env.DB.prepare(
        `INSERT INTO ledger_accounts (id, kind, owner_id, balance, created_at)
         VALUES ('provider:bound-test', 'provider', 'bound-test', -9007199254740992, 0)`,
      ).run(),
    ).rejects.toThrow(/ledger_accounts_balance_bounded/)
    await expect(
      env.DB.prepare(
        `INSERT INTO ledger_transfers (id, kind, debit_account_id, credit_account_id, amount,
           dedupe_key, created_at)
         VALUES ('tr_bound', 'credit', 'funding', 'merchant:receivable', 9007199254740992, 'bound', 0)`,
      ).run(),
    ).rejects.toThrow(/ledger_transfers_amount_bounded/)
  })
})
