import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { purgeFeedNonces } from '../../src/bills/feed'
import { ADMIN, call, expectProblem } from '../helpers/http'
import {
  accountNumber,
  billLine,
  createBiller,
  getPayments,
  postFeed,
  signature,
  useFeedKey,
} from './helpers'

beforeAll(useFeedKey)

async function billRow(billerId: string, ref: string) {
  return env.DB.prepare('SELECT * FROM bills WHERE biller_id = ? AND bill_ref = ?')
    .bind(billerId, ref)
    .first<any>()
}

describe('signed feed: signatures', () => {
  it('accepts a correct signature and upserts the bill', async () => {
    const { biller, secret } = await createBiller()
    const line = billLine(accountNumber())
    const res = await postFeed(biller.id, secret, { bills: [line] })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ upserted: 1, rejected: [] })
    const row = await billRow(biller.id, line.bill_ref)
    expect(row).toMatchObject({
      account_number: line.account_number,
      amount_due: 12850,
      status: 'unpaid',
      amount_paid: 0,
      due_date: '2099-12-31',
      version: 1,
    })
  })

  it('401 invalid_signature for a wrong secret, a tampered body, a missing or malformed header', async () => {
    const { biller, secret } = await createBiller()
    const body = JSON.stringify({ bills: [billLine(accountNumber())] })
    expectProblem(
      await postFeed(biller.id, 'fsk_wrong', null, { rawBody: body }),
      401,
      'invalid_signature',
    )
    const tampered = await postFeed(biller.id, secret, null, {
      rawBody: body.replace('12850', '12851'),
      signatureHeader: await signature(secret, body),
    })
    expectProblem(tampered, 401, 'invalid_signature')
    for (const header of [
      '',
      'v1=abc',
      `t=${Math.floor(Date.now() / 1000)}`,
      't=1,v1=zz',
      `t=abc,v1=${'0'.repeat(64)}`,
    ]) {
      expectProblem(
        await postFeed(biller.id, secret, null, { rawBody: body, signatureHeader: header }),
        401,
        'invalid_signature',
      )
    }
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM bills WHERE biller_id = ?')
      .bind(biller.id)
      .first<{ n: number }>()
    expect(count!.n).toBe(0)
  })

  it("401 for another biller's id, an unknown biller and no biller header", async () => {
    const a = await createBiller()
    const b = await createBiller()
    const body = JSON.stringify({ bills: [billLine(accountNumber())] })
    expectProblem(
      await postFeed(b.biller.id, a.secret, null, { rawBody: body }),
      401,
      'invalid_signature',
    )
    expectProblem(
      await postFeed('blr_01unknownunknownunknownunk', a.secret, null, { rawBody: body }),
      401,
      'invalid_signature',
    )
    const res = await call('POST', '/v1/biller-feed/bills', {
      rawBody: body,
      headers: {
        'content-type': 'application/json',
        'x-signature': await signature(a.secret, body),
      },
    })
    expectProblem(res, 401, 'invalid_signature')
  })

  it('401 signature_expired more than 5 minutes in the past or the future; within 5 minutes is fine', async () => {
    const { biller, secret } = await createBiller()
    const now = Math.floor(Date.now() / 1000)
    for (const t of [now - 301, now + 301, now - 86_400]) {
      const res = await postFeed(biller.id, secret, { bills: [billLine(accountNumber())] }, { t })
      expectProblem(res, 401, 'signature_expired')
    }
    for (const t of [now - 290, now + 290]) {
      const res = await postFeed(biller.id, secret, { bills: [billLine(accountNumber())] }, { t })
      expect(res.status, res.text).toBe(200)
    }
  })

  it('refuses a replay of the same signed request (401 signature_replayed), even with the v1 values reordered', async () => {
    const { biller, secret } = await createBiller()
    const rotated = await call('POST', `/v1/admin/billers/${biller.id}/rotate-secret`, {
      headers: ADMIN,
    })
    const fresh = rotated.body.feed_secret
    const line = billLine(accountNumber())
    const raw = JSON.stringify({ bills: [line] })
    const t = Math.floor(Date.now() / 1000)
    const first = await postFeed(biller.id, [secret, fresh], null, { rawBody: raw, t })
    expect(first.status, first.text).toBe(200)
    expectProblem(
      await postFeed(biller.id, [secret, fresh], null, { rawBody: raw, t }),
      401,
      'signature_replayed',
    )
    expectProblem(
      await postFeed(biller.id, [fresh, secret], null, { rawBody: raw, t }),
      401,
      'signature_replayed',
    )
    expectProblem(
      await postFeed(biller.id, fresh, null, { rawBody: raw, t }),
      401,
      'signature_replayed',
    )
    // The same content signed anew (another timestamp) is a new request.
    const again = await postFeed(biller.id, fresh, null, { rawBody: raw, t: t + 1 })
    expect(again.status, again.text).toBe(200)
  })

  it('replay markers are kept for the window and then purged by the cron', async () => {
    const { biller, secret } = await createBiller()
    await postFeed(biller.id, secret, { bills: [billLine(accountNumber())] })
    const kept = await env.DB.prepare(
      'SELECT expires_at FROM biller_feed_nonces WHERE biller_id = ?',
    )
      .bind(biller.id)
      .first<{ expires_at: number }>()
    expect(kept!.expires_at).toBeGreaterThan(Date.now() + 5 * 60_000)
    expect((await purgeFeedNonces(env, Date.now())).deleted).toBe(0)
    expect((await purgeFeedNonces(env, kept!.expires_at + 1)).deleted).toBeGreaterThanOrEqual(1)
    const gone = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM biller_feed_nonces WHERE biller_id = ?',
    )
      .bind(biller.id)
      .first<{ n: number }>()
    expect(gone!.n).toBe(0)
  })

  it('during a rotation both secrets verify; after the grace period only the new one', async () => {
    const { biller, secret: old } = await createBiller()
    const rotated = await call('POST', `/v1/admin/billers/${biller.id}/rotate-secret`, {
      headers: ADMIN,
    })
    const fresh = rotated.body.feed_secret
    expect((await postFeed(biller.id, old, { bills: [billLine(accountNumber())] })).status).toBe(
      200,
    )
    expect((await postFeed(biller.id, fresh, { bills: [billLine(accountNumber())] })).status).toBe(
      200,
    )
    // A header carrying a wrong v1 next to a right one is accepted (any v1 may match).
    const body = JSON.stringify({ bills: [billLine(accountNumber())] })
    expect((await postFeed(biller.id, ['fsk_wrong', fresh], null, { rawBody: body })).status).toBe(
      200,
    )

    await env.DB.prepare(
      'UPDATE biller_feed_secrets SET expires_at = ? WHERE biller_id = ? AND expires_at IS NOT NULL',
    )
      .bind(Date.now() - 1, biller.id)
      .run()
    expectProblem(
      await postFeed(biller.id, old, { bills: [billLine(accountNumber())] }),
      401,
      'invalid_signature',
    )
    expect((await postFeed(biller.id, fresh, { bills: [billLine(accountNumber())] })).status).toBe(
      200,
    )
  })

  it('a second rotation cuts off the first replaced secret: at most one previous secret verifies', async () => {
    const { biller, secret: first } = await createBiller()
    const rotate = () =>
      call('POST', `/v1/admin/billers/${biller.id}/rotate-secret`, { headers: ADMIN })
    const second = (await rotate()).body.feed_secret
    const third = (await rotate()).body.feed_secret
    const feed = (secret: string) =>
      postFeed(biller.id, secret, { bills: [billLine(accountNumber())] })
    expectProblem(await feed(first), 401, 'invalid_signature')
    expect((await feed(second)).status).toBe(200)
    expect((await feed(third)).status).toBe(200)
  })

  it('revoke_previous rotates with no grace: a leaked secret stops verifying at once', async () => {
    const { biller, secret: leaked } = await createBiller()
    const graced = await call('POST', `/v1/admin/billers/${biller.id}/rotate-secret`, {
      headers: ADMIN,
    })
    const res = await call('POST', `/v1/admin/billers/${biller.id}/rotate-secret`, {
      headers: ADMIN,
      body: { revoke_previous: true },
    })
    expect(res.status, res.text).toBe(200)
    expect(Date.parse(res.body.previous_valid_until)).toBeLessThanOrEqual(Date.now())
    const feed = (secret: string) =>
      postFeed(biller.id, secret, { bills: [billLine(accountNumber())] })
    expectProblem(await feed(leaked), 401, 'invalid_signature')
    expectProblem(await feed(graced.body.feed_secret), 401, 'invalid_signature')
    expect((await feed(res.body.feed_secret)).status).toBe(200)
    expectProblem(
      await call('POST', `/v1/admin/billers/${biller.id}/rotate-secret`, {
        headers: ADMIN,
        body: { revoke_previous: 'yes' },
      }),
      400,
      'validation_failed',
    )
  })

  it('signature checks come before the body is parsed: garbage unsigned is 401, garbage signed is 400', async () => {
    const { biller, secret } = await createBiller()
    const garbage = '{"bills": ['
    expectProblem(
      await postFeed(biller.id, 'fsk_x', null, { rawBody: garbage }),
      401,
      'invalid_signature',
    )
    expectProblem(
      await postFeed(biller.id, secret, null, { rawBody: garbage }),
      400,
      'malformed_json',
    )
    expectProblem(await postFeed(biller.id, secret, { bills: [] }), 400, 'validation_failed')
    expectProblem(await postFeed(biller.id, secret, { lines: [] }), 400, 'validation_failed')
  })
})

describe('signed feed: lines', () => {
  it('lands the good lines and reports each bad one by index, nothing half written', async () => {
    const { biller, secret } = await createBiller()
    const good1 = billLine(accountNumber())
    const good2 = billLine(accountNumber(), { amount_due: { amount: 1, currency: 'CNY' } })
    const lines = [
      good1,
      { ...billLine(accountNumber()), amount_due: { amount: 12.5, currency: 'CNY' } },
      { ...billLine('12345'), bill_ref: 'SHORT-ACC' },
      'not an object',
      { ...billLine(accountNumber()), due_date: '2026-02-30' },
      { ...billLine(accountNumber()), amount_due: { amount: 100, currency: 'USD' } },
      { ...billLine(accountNumber()), extra: true },
      good2,
      { ...good1, amount_due: { amount: 999, currency: 'CNY' } },
      { ...billLine(accountNumber()), amount_due: { amount: 0, currency: 'CNY' } },
      { ...billLine(accountNumber()), bill_ref: 'bad ref with spaces' },
    ]
    const res = await postFeed(biller.id, secret, { bills: lines })
    expect(res.status, res.text).toBe(200)
    expect(res.body.upserted).toBe(2)
    expect(res.body.rejected.map((r: any) => [r.index, r.reason])).toEqual([
      [1, 'invalid_line'],
      [2, 'invalid_account_number'],
      [3, 'invalid_line'],
      [4, 'invalid_line'],
      [5, 'invalid_line'],
      [6, 'invalid_line'],
      [8, 'duplicate_bill_ref'],
      [9, 'invalid_line'],
      [10, 'invalid_line'],
    ])
    expect(res.body.rejected[1].bill_ref).toBe('SHORT-ACC')
    expect(res.body.rejected[0].detail).toContain('amount_due.amount')
    expect(res.body.rejected[2]).not.toHaveProperty('bill_ref')
    const { results } = await env.DB.prepare(
      'SELECT bill_ref, amount_due FROM bills WHERE biller_id = ? ORDER BY bill_ref',
    )
      .bind(biller.id)
      .all<{ bill_ref: string; amount_due: number }>()
    expect(results).toEqual(
      [
        { bill_ref: good1.bill_ref, amount_due: 12850 },
        { bill_ref: good2.bill_ref, amount_due: 1 },
      ].sort((a, b) => a.bill_ref.localeCompare(b.bill_ref)),
    )
  })

  it('updates an unpaid bill (version bumps only when something changed)', async () => {
    const { biller, secret } = await createBiller()
    const line = billLine(accountNumber())
    const t = Math.floor(Date.now() / 1000)
    await postFeed(biller.id, secret, { bills: [line] }, { t: t - 1 })
    // The same content again (signed anew: an identical signed request would be a replay).
    const again = await postFeed(biller.id, secret, { bills: [line] }, { t })
    expect(again.body).toEqual({ upserted: 1, rejected: [] })
    expect((await billRow(biller.id, line.bill_ref)).version).toBe(1)
    const changed = await postFeed(biller.id, secret, {
      bills: [{ ...line, amount_due: { amount: 20000, currency: 'CNY' }, due_date: '2099-11-30' }],
    })
    expect(changed.body).toEqual({ upserted: 1, rejected: [] })
    expect(await billRow(biller.id, line.bill_ref)).toMatchObject({
      amount_due: 20000,
      due_date: '2099-11-30',
      version: 2,
    })
  })

  it('never reopens or changes a paid or partially paid bill: rejected per line, the rest lands', async () => {
    const { biller, secret } = await createBiller()
    const paid = billLine(accountNumber())
    const partial = billLine(accountNumber())
    const open = billLine(accountNumber())
    await postFeed(biller.id, secret, { bills: [paid, partial, open] })
    const now = Date.now()
    await env.DB.prepare(
      "UPDATE bills SET status = 'paid', amount_paid = amount_due, paid_at = ? WHERE biller_id = ? AND bill_ref = ?",
    )
      .bind(now, biller.id, paid.bill_ref)
      .run()
    await env.DB.prepare(
      "UPDATE bills SET status = 'partially_paid', amount_paid = 100 WHERE biller_id = ? AND bill_ref = ?",
    )
      .bind(biller.id, partial.bill_ref)
      .run()

    const res = await postFeed(biller.id, secret, {
      bills: [
        { ...paid, amount_due: { amount: 1, currency: 'CNY' } },
        { ...partial, amount_due: { amount: 1, currency: 'CNY' } },
        { ...open, amount_due: { amount: 777, currency: 'CNY' } },
      ],
    })
    expect(res.status).toBe(200)
    expect(res.body.upserted).toBe(1)
    expect(res.body.rejected).toEqual([
      {
        index: 0,
        bill_ref: paid.bill_ref,
        reason: 'bill_already_paid',
        detail: expect.any(String),
      },
      {
        index: 1,
        bill_ref: partial.bill_ref,
        reason: 'bill_already_paid',
        detail: expect.any(String),
      },
    ])
    expect(await billRow(biller.id, paid.bill_ref)).toMatchObject({
      status: 'paid',
      amount_due: 12850,
      amount_paid: 12850,
    })
    expect(await billRow(biller.id, partial.bill_ref)).toMatchObject({
      status: 'partially_paid',
      amount_due: 12850,
    })
    expect(await billRow(biller.id, open.bill_ref)).toMatchObject({
      status: 'unpaid',
      amount_due: 777,
    })
  })

  it('refuses to change a bill whose payment awaits confirmation (payment_in_progress)', async () => {
    const { biller, secret } = await createBiller()
    const line = billLine(accountNumber())
    await postFeed(biller.id, secret, { bills: [line] })
    const bill = await billRow(biller.id, line.bill_ref)
    const now = Date.now()
    await env.DB.prepare(
      `INSERT INTO payments (id, purpose_type, purpose_id, user_id, amount, capture, payee_kind, payee_biller_id,
         status, confirmation_code, created_at, updated_at, expires_at)
       VALUES ('pay_feed_test_open', 'bill', ?, 'usr_x', 12850, 'automatic', 'biller', ?, 'requires_confirmation', 'ABCDEF', ?, ?, ?)`,
    )
      .bind(bill.id, biller.id, now, now, now + 600_000)
      .run()
    const res = await postFeed(biller.id, secret, {
      bills: [{ ...line, amount_due: { amount: 1, currency: 'CNY' } }],
    })
    expect(res.body.rejected).toEqual([
      {
        index: 0,
        bill_ref: line.bill_ref,
        reason: 'payment_in_progress',
        detail: expect.any(String),
      },
    ])
    expect(res.body.upserted).toBe(0)
    expect((await billRow(biller.id, line.bill_ref)).amount_due).toBe(12850)
  })

  it('upserts a large feed (3,000 lines, over several statements) in one request', async () => {
    const { biller, secret } = await createBiller()
    const lines = Array.from({ length: 3000 }, (_, i) =>
      billLine(`${String(i).padStart(10, '0')}`, { bill_ref: `BULK-${i}` }),
    )
    const started = Date.now()
    const res = await postFeed(biller.id, secret, { bills: lines })
    const ms = Date.now() - started
    expect(res.status, res.text.slice(0, 300)).toBe(200)
    expect(res.body).toEqual({ upserted: 3000, rejected: [] })
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM bills WHERE biller_id = ?')
      .bind(biller.id)
      .first<{ n: number }>()
    expect(count!.n).toBe(3000)
    console.log(JSON.stringify({ bulk_feed_lines: 3000, ms }))
  })

  it('refuses more than 5,000 lines in one request', async () => {
    const { biller, secret } = await createBiller()
    const lines = Array.from({ length: 5001 }, () => ({}))
    expectProblem(await postFeed(biller.id, secret, { bills: lines }), 400, 'validation_failed')
  })
})

describe('GET /v1/biller-feed/payments (signed over the query string)', () => {
  it('verifies the query-string signature', async () => {
    const { biller, secret } = await createBiller()
    const query = 'since=2026-01-01T00:00:00Z'
    const ok = await getPayments(biller.id, secret, query)
    expect(ok.status, ok.text).toBe(200)
    expect(ok.body).toEqual({ items: [], next_cursor: null })
    const forged = await call('GET', `/v1/biller-feed/payments?since=2020-01-01T00:00:00Z`, {
      headers: { 'x-biller-id': biller.id, 'x-signature': await signature(secret, query) },
    })
    expectProblem(forged, 401, 'invalid_signature')
    const old = await getPayments(biller.id, secret, query, {
      t: Math.floor(Date.now() / 1000) - 400,
    })
    expectProblem(old, 401, 'signature_expired')
    expectProblem(await getPayments(biller.id, secret, 'since=yesterday'), 400, 'validation_failed')
  })
})
