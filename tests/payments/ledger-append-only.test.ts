import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { errorText } from '../../src/lib/d1-errors'
import { holdTransfer, fundsOf } from '../../src/payments/funds'
import {
  accounts,
  transferRetry,
  transferStatements,
  type Transfer,
} from '../../src/payments/ledger'
import { findPayment } from '../../src/payments/store'
import { transition, TransitionConflict } from '../../src/payments/transitions'
import { purposes } from '../../src/wiring'
import { balanceOf, expectLedgerBalanced } from '../helpers/ledger'
import { household, startBarePayment } from './helpers'

/**
 * The ledger rules hold in the database itself (migration 0018), not only in the code that writes
 * it: a posted transfer cannot be edited or removed, and a transfer under a key already posted is
 * 'exists' when it is the same transfer and an error when it is another one.
 */

const funding = accounts.funding()

function creditTo(userId: string, key: string, over: Partial<Transfer> = {}): Transfer {
  const wallet = accounts.walletAvailable(userId)
  return { kind: 'credit', debit: funding, credit: wallet, amount: 500, dedupeKey: key, ...over }
}

async function post(t: Transfer): Promise<unknown> {
  try {
    await env.DB.batch(transferStatements(env.DB, t, Date.now()))
    return null
  } catch (err) {
    return err
  }
}

async function transfersUnder(key: string) {
  const { results } = await env.DB.prepare(
    'SELECT amount, memo, credit_account_id FROM ledger_transfers WHERE dedupe_key = ?',
  )
    .bind(key)
    .all()
  return results
}

describe('ledger_transfers is append-only', () => {
  it('refuses to change a posted transfer, in any column', async () => {
    const { user } = await household()
    const key = `append-${crypto.randomUUID()}`
    expect(await post(creditTo(user.id, key, { memo: 'first' }))).toBeNull()
    const edits = [
      'UPDATE ledger_transfers SET amount = 1 WHERE dedupe_key = ?',
      "UPDATE ledger_transfers SET memo = 'rewritten' WHERE dedupe_key = ?",
      "UPDATE ledger_transfers SET dedupe_key = dedupe_key || '-x' WHERE dedupe_key = ?",
    ]
    for (const sql of edits) {
      const err = await env.DB.prepare(sql)
        .bind(key)
        .run()
        .then(
          () => null,
          (e: unknown) => e,
        )
      expect(errorText(err)).toContain('ledger_transfers_append_only')
    }
    expect(await transfersUnder(key)).toEqual([
      { amount: 500, memo: 'first', credit_account_id: accounts.walletAvailable(user.id).id },
    ])
    await expectLedgerBalanced(env.DB)
  })

  it('refuses to delete a transfer, one or all', async () => {
    const { user } = await household()
    const key = `append-${crypto.randomUUID()}`
    expect(await post(creditTo(user.id, key))).toBeNull()
    for (const sql of [
      'DELETE FROM ledger_transfers WHERE dedupe_key = ?',
      'DELETE FROM ledger_transfers WHERE dedupe_key <> ?',
    ]) {
      const err = await env.DB.prepare(sql)
        .bind(key)
        .run()
        .then(
          () => null,
          (e: unknown) => e,
        )
      expect(errorText(err)).toContain('ledger_transfers_append_only')
    }
    expect(await transfersUnder(key)).toHaveLength(1)
    expect(await balanceOf(env.DB, accounts.walletAvailable(user.id).id)).toBe(500)
  })
})

describe('a transfer under a key already posted', () => {
  it('the same transfer again is "exists": the batch aborts and nothing moves twice', async () => {
    const { user } = await household()
    const key = `retry-${crypto.randomUUID()}`
    const wallet = accounts.walletAvailable(user.id).id
    expect(await post(creditTo(user.id, key, { memo: 'top-up' }))).toBeNull()
    const err = await post(creditTo(user.id, key, { memo: 'top-up' }))
    expect(transferRetry(err)).toBe('exists')
    expect(await transfersUnder(key)).toHaveLength(1)
    expect(await balanceOf(env.DB, wallet)).toBe(500)
    await expectLedgerBalanced(env.DB)
  })

  it('another transfer under that key is an error, whichever field differs', async () => {
    const { user } = await household()
    const other = await household()
    const key = `reused-${crypto.randomUUID()}`
    expect(await post(creditTo(user.id, key, { memo: 'top-up' }))).toBeNull()
    const variants: Partial<Transfer>[] = [
      { memo: 'top-up', amount: 501 },
      { memo: 'something else' },
      { memo: undefined },
      { memo: 'top-up', credit: accounts.walletAvailable(other.user.id) },
      { memo: 'top-up', paymentId: 'pay_someone' },
    ]
    for (const v of variants) {
      const err = await post(creditTo(user.id, key, v))
      expect({ v, outcome: transferRetry(err) }).toEqual({ v, outcome: 'key_reused' })
    }
    expect(await transfersUnder(key)).toHaveLength(1)
    expect(await balanceOf(env.DB, accounts.walletAvailable(user.id).id)).toBe(500)
    expect(await balanceOf(env.DB, accounts.walletAvailable(other.user.id).id)).toBe(0)
    await expectLedgerBalanced(env.DB)
  })

  it('a fresh key posts as before', async () => {
    const { user } = await household()
    expect(await post(creditTo(user.id, `fresh-${crypto.randomUUID()}`))).toBeNull()
    expect(await post(creditTo(user.id, `fresh-${crypto.randomUUID()}`))).toBeNull()
    expect(await balanceOf(env.DB, accounts.walletAvailable(user.id).id)).toBe(1000)
  })
})

describe('a payment transition meets a posted transfer', () => {
  async function heldPayment() {
    const { user } = await household({ balance: 5000 })
    const id = await startBarePayment(user.id, 1200, 'manual')
    return { user, payment: (await findPayment(env.DB, id))! }
  }

  it('its own hold already posted: a conflict (someone went first), nothing written', async () => {
    const { user, payment } = await heldPayment()
    const hold = holdTransfer(payment, fundsOf(payment, 'wallet'))
    expect(await post({ ...hold, paymentId: payment.id })).toBeNull()
    const err = await transition(env, purposes, payment, 'requires_capture', Date.now(), {
      transfers: [hold],
      set: { method: 'wallet' },
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TransitionConflict)
    expect((await findPayment(env.DB, payment.id))!.status).toBe('requires_confirmation')
    expect(await balanceOf(env.DB, accounts.walletHeld(user.id).id)).toBe(1200)
    await expectLedgerBalanced(env.DB)
  })

  it('another transfer under its key: an error, not a conflict to retry', async () => {
    const { user, payment } = await heldPayment()
    const hold = holdTransfer(payment, fundsOf(payment, 'wallet'))
    expect(await post({ ...hold, paymentId: payment.id, amount: 1 })).toBeNull()
    const err = await transition(env, purposes, payment, 'requires_capture', Date.now(), {
      transfers: [hold],
      set: { method: 'wallet' },
    }).catch((e: unknown) => e)
    expect(err).not.toBeInstanceOf(TransitionConflict)
    expect(transferRetry(err)).toBe('key_reused')
    expect((await findPayment(env.DB, payment.id))!.status).toBe('requires_confirmation')
    expect(await balanceOf(env.DB, accounts.walletHeld(user.id).id)).toBe(1)
    await expectLedgerBalanced(env.DB)
  })
})
