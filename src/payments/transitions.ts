import { ApiError } from '../http/errors'
import { errorText } from '../lib/d1-errors'
import {
  isOverdraft,
  isPastBound,
  transferRetry,
  transferStatements,
  type Transfer,
} from './ledger'
import { paymentCommitted } from './notify'
import { canTransition, type Payment, type PaymentStatus, type Purposes } from './purposes'

/** Another transition of the same payment committed first; re-read and decide again. */
export class TransitionConflict extends Error {
  constructor(readonly paymentId: string) {
    super(`payment ${paymentId} changed concurrently`)
  }
}

/** A transfer would have taken a non-external account below zero; nothing was written. */
export class LedgerOverdraft extends Error {}

/** A transfer would have taken an account past ±(2^53 − 1); nothing was written. */
export class LedgerBoundExceeded extends ApiError {
  constructor() {
    super('conflict', 'An account of the ledger would pass its bound (2^53 - 1 fen); nothing moved')
  }
}

export type TransitionOptions = {
  transfers?: Transfer[]
  set?: { method?: string; providerRef?: string; refundedAmount?: number }
  /** More statements that must commit with the transition (a confirmation's purpose writes). */
  extra?: D1PreparedStatement[]
}

/**
 * Moves a payment from the state it was read in to `to`, in one D1 batch with its ledger transfers
 * and the purpose's statements. The first statement inserts the transition row with from_status
 * read back from the payment at the expected version and status: if anything moved the payment
 * meanwhile the subquery is NULL (NOT NULL fails) or the version is taken (primary key fails), and
 * the whole batch rolls back. The state table is also a CHECK on that row.
 */
export async function transition(
  env: Env,
  purposes: Purposes,
  payment: Payment,
  to: PaymentStatus,
  now: number,
  opts: TransitionOptions = {},
): Promise<Payment> {
  refuseOutsideTable(payment, to)
  const handler = purposes[payment.purpose.type]
  const purposeStatements = await handler.onTransition(env, payment, to, now)
  const statements = [
    ...transitionStatements(env.DB, payment, to, now, opts),
    ...(opts.extra ?? []),
    ...purposeStatements,
  ]
  await commit(env.DB, statements, payment.id)
  const next = moved(payment, to, now, opts)
  await afterCommit(env, purposes, next, to, now)
  return next
}

/** One payment's part of transitionMany. */
export type Move = { payment: Payment; to: PaymentStatus; transfers: Transfer[] }

/**
 * Several payments moved in ONE D1 batch (settlement's chunks): each keeps its own version guard,
 * ledger transfers (with their dedupe keys) and purpose statements, in the same order as
 * transition() writes them, so the batch is exactly the single batches one after another, committed
 * as one. The price is all-or-nothing: if any payment moved meanwhile (TransitionConflict names
 * none in particular), a transfer would overdraw or pass a bound, nothing is written and the
 * caller moves them one by one. A purpose with onTransitions reads what it needs once for all.
 */
export async function transitionMany(
  env: Env,
  purposes: Purposes,
  moves: Move[],
  now: number,
): Promise<Payment[]> {
  if (moves.length === 0) return []
  const ids = new Set(moves.map((m) => m.payment.id))
  if (ids.size !== moves.length) throw new Error('transitionMany: a payment appears twice')
  for (const m of moves) refuseOutsideTable(m.payment, m.to)
  const purposeStatements = await purposeStatementsOf(env, purposes, moves, now)
  const statements = moves.flatMap((m, i) => [
    ...transitionStatements(env.DB, m.payment, m.to, now, { transfers: m.transfers }),
    ...purposeStatements[i]!,
  ])
  await commit(env.DB, statements, moves.map((m) => m.payment.id).join(','))
  const next = moves.map((m) => moved(m.payment, m.to, now, {}))
  await Promise.all(next.map((p, i) => afterCommit(env, purposes, p, moves[i]!.to, now)))
  return next
}

/** Each move's purpose statements, by position; moves to one status of one purpose read once. */
async function purposeStatementsOf(
  env: Env,
  purposes: Purposes,
  moves: Move[],
  now: number,
): Promise<D1PreparedStatement[][]> {
  const out: D1PreparedStatement[][] = new Array(moves.length)
  const groups = new Map<string, number[]>()
  for (const [i, m] of moves.entries()) {
    const key = `${m.payment.purpose.type}:${m.to}`
    groups.set(key, [...(groups.get(key) ?? []), i])
  }
  for (const positions of groups.values()) {
    const first = moves[positions[0]!]!
    const handler = purposes[first.payment.purpose.type]
    const payments = positions.map((i) => moves[i]!.payment)
    const lists = handler.onTransitions
      ? await handler.onTransitions(env, payments, first.to, now)
      : await Promise.all(payments.map((p) => handler.onTransition(env, p, first.to, now)))
    for (const [k, i] of positions.entries()) out[i] = lists[k]!
  }
  return out
}

function refuseOutsideTable(payment: Payment, to: PaymentStatus) {
  if (!canTransition(payment.status, to)) {
    throw new ApiError('invalid_transition', `A ${payment.status} payment cannot become ${to}`, {
      payment_status: payment.status,
    })
  }
}

/**
 * The guard, the payment's row and its transfers. The first statement inserts the transition row
 * with from_status read back from the payment at the expected version and status.
 */
function transitionStatements(
  d1: D1Database,
  payment: Payment,
  to: PaymentStatus,
  now: number,
  opts: TransitionOptions,
): D1PreparedStatement[] {
  const set = opts.set ?? {}
  return [
    d1
      .prepare(
        `INSERT INTO payment_transitions (payment_id, version, from_status, to_status, at)
         VALUES (?, ?,
           (SELECT status FROM payments WHERE id = ? AND version = ? AND status = ?), ?, ?)`,
      )
      .bind(payment.id, payment.version + 1, payment.id, payment.version, payment.status, to, now),
    d1
      .prepare(
        `UPDATE payments SET status = ?, version = version + 1, updated_at = ?,
           method = COALESCE(?, method), provider_ref = COALESCE(?, provider_ref),
           refunded_amount = COALESCE(?, refunded_amount)
         WHERE id = ? AND version = ?`,
      )
      .bind(
        ...[to, now, set.method ?? null, set.providerRef ?? null, set.refundedAmount ?? null],
        ...[payment.id, payment.version],
      ),
    ...(opts.transfers ?? []).flatMap((t) =>
      transferStatements(d1, { ...t, paymentId: payment.id }, now),
    ),
  ]
}

async function commit(d1: D1Database, statements: D1PreparedStatement[], paymentIds: string) {
  try {
    await d1.batch(statements)
  } catch (err) {
    if (isTransitionConflict(err)) throw new TransitionConflict(paymentIds)
    if (isOverdraft(err)) throw new LedgerOverdraft(errorText(err))
    if (isPastBound(err)) throw new LedgerBoundExceeded()
    throw err
  }
}

function moved(payment: Payment, to: PaymentStatus, now: number, opts: TransitionOptions): Payment {
  const set = opts.set ?? {}
  return {
    ...payment,
    status: to,
    version: payment.version + 1,
    updatedAt: now,
    method: set.method ?? payment.method,
    providerRef: set.providerRef ?? payment.providerRef,
    refundedAmount: set.refundedAmount ?? payment.refundedAmount,
  }
}

/**
 * The guard's NOT NULL or primary key, or the same transfer already posted: someone else went
 * first. A different transfer under one of our keys is not a race; it stays an error.
 */
const TRANSITION_TAKEN = /payment_transitions\.(from_status|payment_id)/

function isTransitionConflict(err: unknown): boolean {
  return TRANSITION_TAKEN.test(errorText(err)) || transferRetry(err) === 'exists'
}

async function afterCommit(
  env: Env,
  purposes: Purposes,
  payment: Payment,
  to: PaymentStatus,
  now: number,
) {
  await paymentCommitted(env, payment)
  const after = purposes[payment.purpose.type].afterTransition
  if (!after) return
  try {
    await after(env, payment, to, now, purposes)
  } catch (err) {
    // Best effort by contract: the cron settles whatever this missed.
    const error = errorText(err)
    const line = { event: 'after_transition_failed', payment: payment.id, to, error }
    console.error(JSON.stringify(line))
  }
}
