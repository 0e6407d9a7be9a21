import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { payBill } from '../../src/bills/pay'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { createTestDevice } from '../helpers/principals'
import { balanceOf, expectLedgerBalanced, transfersOf } from '../helpers/ledger'
import {
  accountNumber,
  billLine,
  confirm,
  createBiller,
  feedBill,
  getPayments,
  link,
  member,
  useFeedKey,
} from './helpers'
import { purposes } from '../../src/wiring'

beforeAll(useFeedKey)

const cny = (amount: number) => ({ amount, currency: 'CNY' })

async function bill(id: string) {
  return env.DB.prepare('SELECT * FROM bills WHERE id = ?').bind(id).first<any>()
}

/** A biller, a household member with a TV and money, a linked account and one bill on it. */
async function setup(
  opts: { rules?: Record<string, unknown>; amount?: number; due?: string; balance?: number } = {},
) {
  const { biller, secret } = await createBiller({ rules: opts.rules })
  const number = accountNumber()
  const who = await member({ balance: opts.balance ?? 100_000 })
  await link(who.user.token, biller.id, number, '家里电费')
  const billId = await feedBill(
    biller.id,
    secret,
    billLine(number, { amount_due: cny(opts.amount ?? 12850), due_date: opts.due ?? '2099-12-31' }),
  )
  return { biller, secret, number, billId, ...who }
}

function pay(token: string, billId: string, body?: unknown, headers: Record<string, string> = {}) {
  return call('POST', `/v1/bills/${billId}/pay`, {
    token,
    ...(body === undefined ? {} : { body }),
    headers,
  })
}

describe('POST /v1/bills/{id}/pay', () => {
  it('TV starts, phone confirms: the bill is paid, the biller is owed the money, the ledger balances', async () => {
    const s = await setup()
    const started = await pay(s.tv.token, s.billId)
    expect(started.status, started.text).toBe(201)
    const payment = started.body.payment
    expect(payment).toMatchObject({
      status: 'requires_confirmation',
      amount: cny(12850),
      purpose: { type: 'bill', id: s.billId },
      capture: 'automatic',
    })
    expect(payment.confirmation.code).toMatch(/^[A-Z0-9]{6}$/)

    const confirmed = await confirm(s.user.token, payment.id)
    expect(confirmed.status, confirmed.text).toBe(200)
    expect(confirmed.body.payment.status).toBe('succeeded')
    expect(confirmed.body.receipt.split('.')).toHaveLength(3)

    expect(await bill(s.billId)).toMatchObject({ status: 'paid', amount_paid: 12850, version: 2 })
    expect((await bill(s.billId)).paid_at).toBeGreaterThan(0)
    expect(await balanceOf(env.DB, `biller:${s.biller.id}:payable`)).toBe(12850)
    expect(await balanceOf(env.DB, `wallet:${s.user.id}:available`)).toBe(100_000 - 12850)
    expect((await transfersOf(env.DB, payment.id)).map((t) => t.credit_account_id)).toContain(
      `biller:${s.biller.id}:payable`,
    )

    const view = await call('GET', `/v1/bills/${s.billId}`, { token: s.tv.token })
    expect(view.body).toMatchObject({
      status: 'paid',
      amount_paid: cny(12850),
      amount_remaining: cny(0),
      overdue: false,
    })

    expectProblem(await pay(s.tv.token, s.billId), 409, 'bill_already_paid')
    expectProblem(await pay(s.user.token, s.billId, { amount: cny(1) }), 409, 'bill_already_paid')
    await expectLedgerBalanced(env.DB)
  })

  it('paying twice before confirming returns the open payment (200), from the TV or the phone', async () => {
    const s = await setup()
    const first = await pay(s.tv.token, s.billId)
    expect(first.status).toBe(201)
    const again = await pay(s.tv.token, s.billId)
    expect(again.status).toBe(200)
    expect(again.body.payment.id).toBe(first.body.payment.id)
    const fromPhone = await pay(s.user.token, s.billId)
    expect(fromPhone.status).toBe(200)
    expect(fromPhone.body.payment.id).toBe(first.body.payment.id)
  })

  it('a second TV of the household is handed the open payment and can read it', async () => {
    const s = await setup()
    const first = await pay(s.tv.token, s.billId)
    expect(first.status).toBe(201)
    const secondTv = await createTestDevice(s.user.id, { name: 'Bedroom TV' })
    const handed = await pay(secondTv.token, s.billId)
    expect(handed.status).toBe(200)
    expect(handed.body.payment.id).toBe(first.body.payment.id)
    const read = await call('GET', `/v1/payments/${first.body.payment.id}`, {
      token: secondTv.token,
    })
    expect(read.status, read.text).toBe(200)
    expect(read.body).toMatchObject({
      id: first.body.payment.id,
      purpose: { type: 'bill', id: s.billId },
    })
  })

  it('TV and phone paying at the same moment make exactly one payment', async () => {
    const s = await setup()
    const results = await Promise.all([
      pay(s.tv.token, s.billId),
      pay(s.user.token, s.billId),
      pay(s.tv.token, s.billId),
      pay(s.user.token, s.billId),
    ])
    const statuses = results.map((r) => r.status).sort()
    expect(statuses, results.map((r) => r.text).join('\n')).toEqual([200, 200, 200, 201])
    const ids = new Set(results.map((r) => r.body.payment.id))
    expect(ids.size).toBe(1)
    const rows = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM payments WHERE purpose_type = 'bill' AND purpose_id = ?",
    )
      .bind(s.billId)
      .first<{ n: number }>()
    expect(rows!.n).toBe(1)
    const attempts = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM bill_payment_attempts WHERE bill_id = ?',
    )
      .bind(s.billId)
      .first<{ n: number }>()
    expect(attempts!.n).toBe(1)
  })

  it('concurrent starts race into the one-open-payment index and all get the winner', async () => {
    const s = await setup()
    const tvPrincipal = {
      kind: 'device' as const,
      userId: s.user.id,
      deviceId: s.tv.id,
      clientId: s.tv.clientId,
    }
    const phonePrincipal = { kind: 'user' as const, userId: s.user.id }
    const now = Date.now()
    const results = await Promise.all(
      [tvPrincipal, phonePrincipal, tvPrincipal, phonePrincipal, tvPrincipal].map((p) =>
        payBill(env, purposes, p, s.billId, undefined, now),
      ),
    )
    expect(results.filter((r) => r.created)).toHaveLength(1)
    expect(new Set(results.map((r) => r.payment.id)).size).toBe(1)
    const rows = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM payments WHERE purpose_type = 'bill' AND purpose_id = ?",
    )
      .bind(s.billId)
      .first<{ n: number }>()
    expect(rows!.n).toBe(1)
  })

  it('another household can neither see nor pay your bill; a member of yours waits for the open payment', async () => {
    const s = await setup()
    const stranger = await member({ balance: 100_000 })
    expectProblem(await pay(stranger.tv.token, s.billId), 404, 'not_found')
    expectProblem(await pay(stranger.user.token, s.billId), 404, 'not_found')

    const partner = await member({ balance: 100_000 })
    await link(partner.user.token, s.biller.id, s.number)
    const mine = await pay(s.tv.token, s.billId)
    expect(mine.status).toBe(201)
    expectProblem(await pay(partner.user.token, s.billId), 409, 'bill_payment_in_progress')
    // Someone else's payment cannot be confirmed by them either.
    expectProblem(await confirm(partner.user.token, mine.body.payment.id), 404, 'not_found')

    const canceled = await call('POST', `/v1/payments/${mine.body.payment.id}/cancel`, {
      token: s.user.token,
    })
    expect(canceled.status, canceled.text).toBe(200)
    const theirs = await pay(partner.tv.token, s.billId)
    expect(theirs.status, theirs.text).toBe(201)
    expect((await confirm(partner.user.token, theirs.body.payment.id)).status).toBe(200)
    expect(await bill(s.billId)).toMatchObject({ status: 'paid', amount_paid: 12850 })
    await expectLedgerBalanced(env.DB)
  })

  it('exact-amount billers refuse a part payment (400 amount_not_allowed)', async () => {
    const s = await setup({ rules: { amount: 'exact' } })
    const res = await pay(s.tv.token, s.billId, { amount: cny(5000) })
    expect(expectProblem(res, 400, 'amount_not_allowed').amount_remaining).toEqual(cny(12850))
    expect((await pay(s.tv.token, s.billId, { amount: cny(12850) })).status).toBe(201)
  })

  it('partial billers: parts up to what is due, a minimum except for the last part, then paid', async () => {
    const s = await setup({ rules: { amount: 'partial', min_amount: cny(2000) } })
    expectProblem(await pay(s.tv.token, s.billId, { amount: cny(1999) }), 400, 'amount_not_allowed')
    expectProblem(
      await pay(s.tv.token, s.billId, { amount: cny(12851) }),
      400,
      'amount_not_allowed',
    )

    const part = await pay(s.tv.token, s.billId, { amount: cny(11_000) })
    expect(part.status).toBe(201)
    expect((await confirm(s.user.token, part.body.payment.id)).status).toBe(200)
    expect(await bill(s.billId)).toMatchObject({
      status: 'partially_paid',
      amount_paid: 11_000,
      paid_at: null,
    })
    const listed = await call('GET', '/v1/me/bills?status=unpaid', { token: s.tv.token })
    expect(listed.body.items[0]).toMatchObject({
      id: s.billId,
      status: 'partially_paid',
      amount_remaining: cny(1850),
    })

    // 1,850 left: below the minimum, but it settles the bill, so it is allowed (and the default).
    expectProblem(await pay(s.tv.token, s.billId, { amount: cny(1851) }), 400, 'amount_not_allowed')
    const rest = await pay(s.tv.token, s.billId)
    expect(rest.body.payment.amount).toEqual(cny(1850))
    expect((await confirm(s.user.token, rest.body.payment.id)).status).toBe(200)
    expect(await bill(s.billId)).toMatchObject({ status: 'paid', amount_paid: 12850 })
    await expectLedgerBalanced(env.DB)
  })

  it('"any" billers take a top-up above the amount due, within max_amount', async () => {
    const s = await setup({ rules: { amount: 'any', max_amount: cny(50_000) }, amount: 3000 })
    expectProblem(
      await pay(s.tv.token, s.billId, { amount: cny(50_001) }),
      400,
      'amount_not_allowed',
    )
    const topUp = await pay(s.tv.token, s.billId, { amount: cny(20_000) })
    expect(topUp.status).toBe(201)
    expect((await confirm(s.user.token, topUp.body.payment.id)).status).toBe(200)
    expect(await bill(s.billId)).toMatchObject({
      status: 'paid',
      amount_paid: 20_000,
      amount_due: 3000,
    })
    expect(await balanceOf(env.DB, `biller:${s.biller.id}:payable`)).toBe(20_000)
    await expectLedgerBalanced(env.DB)
  })

  it('a biller that is not payable after the due date refuses an overdue bill (409 bill_not_payable)', async () => {
    const s = await setup({
      rules: { amount: 'exact', payable_after_due: false },
      due: '2001-01-01',
    })
    expectProblem(await pay(s.tv.token, s.billId), 409, 'bill_not_payable')
    const lenient = await setup({
      rules: { amount: 'exact', payable_after_due: true },
      due: '2001-01-01',
    })
    expect((await pay(lenient.tv.token, lenient.billId)).status).toBe(201)
  })

  it('validates the body: money objects only, positive integers in CNY', async () => {
    const s = await setup()
    for (const body of [
      { amount: 100 },
      { amount: cny(0) },
      { amount: cny(1.5) },
      { amount: { amount: 100, currency: 'USD' } },
      { tip: 1 },
    ]) {
      expectProblem(await pay(s.tv.token, s.billId, body), 400, 'validation_failed')
    }
    expectProblem(await pay('', s.billId), 401, 'unauthorized')
  })

  it('too little money: 402 and the bill stays as it was, the payment stays confirmable', async () => {
    const s = await setup({ balance: 1000 })
    const started = await pay(s.tv.token, s.billId)
    expectProblem(await confirm(s.user.token, started.body.payment.id), 402, 'insufficient_funds')
    expect(await bill(s.billId)).toMatchObject({ status: 'unpaid', amount_paid: 0, version: 1 })
    const settlements = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM bill_settlements WHERE bill_id = ?',
    )
      .bind(s.billId)
      .first<{ n: number }>()
    expect(settlements!.n).toBe(0)
    await call('POST', `/v1/admin/wallets/${s.user.id}/credits`, {
      headers: ADMIN,
      body: { amount: cny(20_000), reason: 'top up' },
    })
    expect((await confirm(s.user.token, started.body.payment.id)).status).toBe(200)
    await expectLedgerBalanced(env.DB)
  })

  it('a bill changed after the payment started cannot be confirmed (409 bill_changed), no money moves', async () => {
    const s = await setup()
    const started = await pay(s.tv.token, s.billId)
    await env.DB.prepare('UPDATE bills SET amount_due = 99999, version = version + 1 WHERE id = ?')
      .bind(s.billId)
      .run()
    expectProblem(await confirm(s.user.token, started.body.payment.id), 409, 'bill_changed')
    expect(await balanceOf(env.DB, `wallet:${s.user.id}:available`)).toBe(100_000)
    expect(await bill(s.billId)).toMatchObject({ status: 'unpaid', amount_paid: 0 })
  })

  it('honours Idempotency-Key: the same key replays the first response', async () => {
    const s = await setup()
    const first = await pay(s.tv.token, s.billId, {}, { 'idempotency-key': 'bill-pay-1' })
    expect(first.status).toBe(201)
    const replay = await pay(s.tv.token, s.billId, {}, { 'idempotency-key': 'bill-pay-1' })
    expect(replay.status).toBe(201)
    expect(replay.headers.get('idempotency-replayed')).toBe('true')
    expect(replay.body.payment.id).toBe(first.body.payment.id)
    expectProblem(
      await pay(s.tv.token, s.billId, { amount: cny(5) }, { 'idempotency-key': 'bill-pay-1' }),
      422,
      'idempotency_key_reuse',
    )
  })

  it('a refund takes the money off the bill and shows in reconciliation', async () => {
    const s = await setup()
    const started = await pay(s.tv.token, s.billId)
    expect((await confirm(s.user.token, started.body.payment.id)).status).toBe(200)
    const refund = await call('POST', `/v1/payments/${started.body.payment.id}/refund`, {
      headers: ADMIN,
      body: { amount: cny(2850) },
    })
    expect(refund.status, refund.text).toBe(200)
    expect(await bill(s.billId)).toMatchObject({
      status: 'partially_paid',
      amount_paid: 10_000,
      paid_at: null,
    })
    const rest = await call('POST', `/v1/payments/${started.body.payment.id}/refund`, {
      headers: ADMIN,
    })
    expect(rest.status, rest.text).toBe(200)
    expect(await bill(s.billId)).toMatchObject({ status: 'unpaid', amount_paid: 0 })

    const rec = await getPayments(s.biller.id, s.secret, 'since=2000-01-01T00:00:00Z')
    expect(rec.body.items.map((i: any) => [i.kind, i.amount.amount, i.payment_id])).toEqual([
      ['payment', 12850, started.body.payment.id],
      ['refund', 2850, started.body.payment.id],
      ['refund', 10_000, started.body.payment.id],
    ])
    expect(await balanceOf(env.DB, `biller:${s.biller.id}:payable`)).toBe(0)
    await expectLedgerBalanced(env.DB)
  })
})

describe('reconciliation', () => {
  it('contains exactly the paid bills of this biller, oldest first, in keyset pages', async () => {
    const { biller, secret } = await createBiller({ rules: { amount: 'partial' } })
    const other = await createBiller()
    const number = accountNumber()
    const who = await member({ balance: 1_000_000 })
    await link(who.user.token, biller.id, number)
    const bills = []
    for (let i = 0; i < 5; i++)
      bills.push(await feedBill(biller.id, secret, billLine(number, { amount_due: cny(1000 + i) })))
    const before = new Date(Date.now() - 1000).toISOString()
    const paidIds: string[] = []
    for (const id of [bills[0], bills[2], bills[4]]) {
      const p = await pay(who.tv.token, id)
      expect((await confirm(who.user.token, p.body.payment.id)).status).toBe(200)
      paidIds.push(p.body.payment.id)
    }
    // Started but never confirmed, and another biller's paid bill: neither belongs in the feed.
    await pay(who.tv.token, bills[1])
    const otherNumber = accountNumber()
    await link(who.user.token, other.biller.id, otherNumber)
    const otherBill = await feedBill(other.biller.id, other.secret, billLine(otherNumber))
    const op = await pay(who.tv.token, otherBill)
    expect((await confirm(who.user.token, op.body.payment.id)).status).toBe(200)

    const page1 = await getPayments(
      biller.id,
      secret,
      `since=${encodeURIComponent(before)}&limit=2`,
    )
    expect(page1.status, page1.text).toBe(200)
    expect(page1.body.items).toHaveLength(2)
    const page2 = await getPayments(
      biller.id,
      secret,
      `since=${encodeURIComponent(before)}&limit=2&cursor=${page1.body.next_cursor}`,
    )
    expect(page2.body.next_cursor).toBeNull()
    const items = [...page1.body.items, ...page2.body.items]
    expect(items.map((i: any) => i.payment_id)).toEqual(paidIds)
    expect(items.map((i: any) => i.bill.id)).toEqual([bills[0], bills[2], bills[4]])
    expect(items[0]).toMatchObject({
      kind: 'payment',
      amount: cny(1000),
      bill: {
        account_number: number,
        status: 'paid',
        amount_due: cny(1000),
        amount_paid: cny(1000),
      },
    })

    const later = await getPayments(
      biller.id,
      secret,
      `since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    )
    expect(later.body.items).toEqual([])
    const otherFeed = await getPayments(other.biller.id, other.secret, 'since=2000-01-01T00:00:00Z')
    expect(otherFeed.body.items.map((i: any) => i.payment_id)).toEqual([op.body.payment.id])
    await expectLedgerBalanced(env.DB)
  })
})
