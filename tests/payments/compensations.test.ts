import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { runScheduled } from '../../src/cron'
import { retryCompensations, retryDelayMs } from '../../src/payments/compensations'
import { capturePayment } from '../../src/payments/intents'
import { VOID_OUTAGE_MS } from '../../src/payments/providers/sandbox'
import { purposes } from '../../src/wiring'
import { expectProblem } from '../helpers/http'
import { balanceOf, expectLedgerBalanced } from '../helpers/ledger'
import {
  addCard,
  confirm,
  confirmBody,
  heldOnCard,
  household,
  orderFromTv,
  sandboxOps,
} from './helpers'

type Owed = {
  idempotency_key: string
  action: string
  amount: number
  attempts: number
  next_attempt_at: number
  last_error: string | null
  outcome: string | null
  created_at: number
  done_at: number | null
}

async function owedFor(paymentId: string) {
  const { results } = await env.DB.prepare(
    'SELECT * FROM gateway_compensations WHERE payment_id = ?',
  )
    .bind(paymentId)
    .all<Owed>()
  return results
}

/** The sandbox gateway's outage ends: its book says the authorization is old enough. */
async function gatewayRecovers(paymentId: string) {
  await env.DB.prepare(
    `UPDATE sandbox_operations SET created_at = created_at - ?
     WHERE idempotency_key LIKE ? AND op = 'authorize'`,
  )
    .bind(VOID_OUTAGE_MS, `${paymentId}:%`)
    .run()
}

/** A TV order paid with a card whose capture is declined while the gateway cannot void. */
async function declinedWithVoidOwed(price: number) {
  const { user, tv } = await household({ balance: 10_000 })
  const card = await addCard(user.token, 'tok_void_outage')
  const { payment } = await orderFromTv(tv.token, { price })
  const res = await confirm(user.token, payment.id, confirmBody({ payment_method: card }))
  expectProblem(res, 402, 'payment_declined')
  const [owed] = await owedFor(payment.id)
  return { user, paymentId: payment.id as string, owed: owed! }
}

describe('voids and refunds the card gateway did not answer', () => {
  it('a declined capture whose void times out is owed, retried with backoff and given back once the gateway answers', async () => {
    const before = Date.now()
    const { user, paymentId, owed } = await declinedWithVoidOwed(1500)
    expect(owed).toMatchObject({
      action: 'void',
      amount: 1500,
      attempts: 0,
      outcome: null,
      done_at: null,
    })
    expect(owed.idempotency_key).toMatch(new RegExp(`^${paymentId}:void:sbx_`))
    expect(owed.last_error).toContain('did not answer')
    expect(owed.next_attempt_at - owed.created_at).toBe(retryDelayMs(0))
    expect(owed.created_at).toBeGreaterThanOrEqual(before)
    expect((await sandboxOps(paymentId)).map((o) => `${o.op}:${o.outcome}`)).toEqual([
      'authorize:ok',
      'capture:declined',
    ])

    // Not due yet: nothing is sent.
    const early = await retryCompensations(env, owed.next_attempt_at - 1)
    expect(early).toEqual({ givenBack: 0, declined: 0, stillOwed: 0 })

    // Due, the gateway still down: the attempt is counted and the next one pushed out, doubled.
    const t1 = owed.next_attempt_at
    expect(await retryCompensations(env, t1)).toEqual({ givenBack: 0, declined: 0, stillOwed: 1 })
    const [second] = await owedFor(paymentId)
    expect(second).toMatchObject({ attempts: 1, outcome: null, done_at: null })
    expect(second!.next_attempt_at).toBe(t1 + retryDelayMs(1))

    // The gateway answers again: the cron's next due pass voids the authorization, once.
    await gatewayRecovers(paymentId)
    const t2 = second!.next_attempt_at
    const tick = await runScheduled(env, t2)
    expect(tick['payments.compensations']).toEqual({ givenBack: 1, declined: 0, stillOwed: 0 })
    const [done] = await owedFor(paymentId)
    expect(done).toMatchObject({ attempts: 2, outcome: 'ok', done_at: t2, last_error: null })
    expect((await sandboxOps(paymentId)).map((o) => `${o.op}:${o.outcome}`)).toEqual([
      'authorize:ok',
      'capture:declined',
      'void:ok',
    ])
    const later = await retryCompensations(env, t2 + 86_400_000)
    expect(later).toEqual({ givenBack: 0, declined: 0, stillOwed: 0 })

    // The person was never stuck: the payment stayed confirmable with another method.
    const paid = await confirm(user.token, paymentId, confirmBody())
    expect(paid.status, paid.text).toBe(200)
    expect(paid.body.payment.status).toBe('succeeded')
    await expectLedgerBalanced(env.DB)
  })

  it('two overlapping cron passes send an owed void to the gateway once', async () => {
    const { paymentId, owed } = await declinedWithVoidOwed(700)
    await gatewayRecovers(paymentId)
    const reports = await Promise.all([
      retryCompensations(env, owed.next_attempt_at),
      retryCompensations(env, owed.next_attempt_at),
    ])
    expect(reports.reduce((n, r) => n + r.givenBack, 0)).toBe(1)
    expect(reports.reduce((n, r) => n + r.stillOwed + r.declined, 0)).toBe(0)
    const [done] = await owedFor(paymentId)
    expect(done).toMatchObject({ attempts: 1, outcome: 'ok' })
    const voids = (await sandboxOps(paymentId)).filter((o) => o.op === 'void')
    expect(voids).toEqual([{ op: 'void', outcome: 'ok' }])
  })

  it('a held card whose capture is declined at settlement ends failed and owes its void until the gateway answers', async () => {
    const paymentId = await heldOnCard('tok_void_outage', 900)
    const authorized = await balanceOf(env.DB, 'provider:sandbox:authorized')
    const { payment } = await capturePayment(env, purposes, paymentId, Date.now())
    expect(payment.status).toBe('failed')
    // Our ledger gives the hold back at once; the gateway's authorization is what is owed.
    expect(await balanceOf(env.DB, 'provider:sandbox:authorized')).toBe(authorized - 900)
    const [owed] = await owedFor(paymentId)
    expect(owed).toMatchObject({
      action: 'void',
      amount: 900,
      idempotency_key: `${paymentId}:void`,
    })
    await gatewayRecovers(paymentId)
    expect(await retryCompensations(env, owed!.next_attempt_at)).toMatchObject({ givenBack: 1 })
    expect((await sandboxOps(paymentId)).map((o) => `${o.op}:${o.outcome}`)).toEqual([
      'authorize:ok',
      'capture:declined',
      'void:ok',
    ])
    await expectLedgerBalanced(env.DB)
  })

  it('retries back off from a minute, doubling, to at most every six hours', () => {
    expect([0, 1, 2, 3].map(retryDelayMs)).toEqual([60_000, 120_000, 240_000, 480_000])
    expect(retryDelayMs(9)).toBe(6 * 3_600_000)
    expect(retryDelayMs(40)).toBe(6 * 3_600_000)
  })
})
