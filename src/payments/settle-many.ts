import { ApiError } from '../http/errors'
import { captureTransfer, fundsOf, releaseTransfer } from './funds'
import { capturePayment, releasePayment, type SettleResult } from './intents'
import type { Payment, Purposes } from './purposes'
import { findPayments } from './store'
import { type Move, transitionMany } from './transitions'

/** What became of one payment of a chunk: its result, or the error it alone ran into. */
export type ManyOutcome =
  | { paymentId: string; ok: true; result: SettleResult }
  | { paymentId: string; ok: false; error: unknown }

/**
 * capturePayment for many payments (a tipped deal's holds), with the same outcome for each, in
 * far fewer D1 round trips: one read for all, then one batch that captures every wallet hold
 * still requires_capture (transitionMany: each with its own version guard, ledger transfer and
 * purpose statements). Already captured: reported unchanged, as capturePayment does. Anything
 * else (a card to capture at its gateway, a status capturePayment refuses or must explain) and
 * every payment of a batch that failed (a racing consumer moved one, a transfer refused) goes
 * through capturePayment on its own, which re-reads it and settles or reports each exactly as a
 * single message would. Nothing is ever captured twice: a second capture of a payment can only
 * fail its guard.
 */
export function capturePayments(
  env: Env,
  purposes: Purposes,
  paymentIds: string[],
  now: number,
): Promise<ManyOutcome[]> {
  return settleMany(env, purposes, paymentIds, now, {
    done: ['succeeded', 'partially_refunded', 'refunded'],
    plan: (payment) => {
      if (payment.status !== 'requires_capture' || payment.method !== 'wallet') return null
      const funds = fundsOf(payment)
      return { payment, to: 'succeeded', transfers: [captureTransfer(payment, funds)] }
    },
    one: capturePayment,
  })
}

/** releasePayment for many payments (a failed deal's places), batched like capturePayments. */
export function releasePayments(
  env: Env,
  purposes: Purposes,
  paymentIds: string[],
  now: number,
): Promise<ManyOutcome[]> {
  return settleMany(env, purposes, paymentIds, now, {
    done: ['canceled', 'expired', 'failed'],
    plan: (payment) => {
      if (payment.status === 'requires_confirmation') {
        return { payment, to: 'canceled', transfers: [] }
      }
      if (payment.status !== 'requires_capture' || payment.method !== 'wallet') return null
      const funds = fundsOf(payment)
      return { payment, to: 'canceled', transfers: [releaseTransfer(payment, funds)] }
    },
    one: releasePayment,
  })
}

type Rules = {
  /** Statuses that mean the work is already done: unchanged, nothing written. */
  done: Payment['status'][]
  /** The move when it can go in the shared batch; null: the single path decides. */
  plan: (payment: Payment) => Move | null
  one: (env: Env, purposes: Purposes, paymentId: string, now: number) => Promise<SettleResult>
}

async function settleMany(
  env: Env,
  purposes: Purposes,
  paymentIds: string[],
  now: number,
  rules: Rules,
): Promise<ManyOutcome[]> {
  const ids = [...new Set(paymentIds)]
  const payments = await findPayments(env.DB, ids)
  const outcomes = new Map<string, ManyOutcome>()
  const moves: Move[] = []
  const alone: string[] = []
  for (const id of ids) {
    const payment = payments.get(id)
    if (!payment) {
      const error = new ApiError('not_found', 'No such payment')
      outcomes.set(id, { paymentId: id, ok: false, error })
    } else if (rules.done.includes(payment.status)) {
      outcomes.set(id, { paymentId: id, ok: true, result: { payment, changed: false } })
    } else {
      const move = rules.plan(payment)
      if (move) moves.push(move)
      else alone.push(id)
    }
  }
  try {
    const moved = await transitionMany(env, purposes, moves, now)
    for (const payment of moved) {
      outcomes.set(payment.id, {
        paymentId: payment.id,
        ok: true,
        result: { payment, changed: true },
      })
    }
  } catch {
    // Nothing of the batch was written: each one on its own, where a refusal is its own.
    alone.push(...moves.map((m) => m.payment.id))
  }
  for (const id of alone) {
    try {
      outcomes.set(id, { paymentId: id, ok: true, result: await rules.one(env, purposes, id, now) })
    } catch (error) {
      outcomes.set(id, { paymentId: id, ok: false, error })
    }
  }
  return ids.map((id) => outcomes.get(id)!)
}
