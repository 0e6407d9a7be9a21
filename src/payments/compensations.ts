import { errorText } from '../lib/d1-errors'
import { providerFor, withRetries } from './providers'
import type { PaymentProvider } from './providers/types'

/**
 * A void or refund that gives a customer's money back and failed at the gateway when first made
 * (the gateway went down after it took the card). It is owed in `gateway_compensations` and the
 * cron retries it under the call's own idempotency key, so the gateway does it at most once
 * however often it is retried; a row is done when the gateway answers.
 */
export type Compensation = {
  paymentId: string
  provider: string
  ref: string
  action: 'void' | 'refund'
  amount: number
  idempotencyKey: string
}

type Row = {
  idempotency_key: string
  payment_id: string
  provider: string
  ref: string
  action: 'void' | 'refund'
  amount: number
  attempts: number
}

/** The first retry a minute after the failure, then doubling, at most every 6 hours. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000 * 2 ** attempts, 6 * 3_600_000)
}

/** Rows retried per cron tick: each is one gateway call (with its own short retries). */
const PER_TICK = 25

/** Gives the money back now; if the gateway does not answer, owes it (never throws). */
export async function giveBack(
  env: Env,
  provider: PaymentProvider,
  owed: Omit<Compensation, 'provider'>,
  now: number,
): Promise<void> {
  try {
    await callGateway(provider, owed)
  } catch (err) {
    await oweCompensation(env, { ...owed, provider: provider.name }, errorText(err), now)
  }
}

async function oweCompensation(env: Env, owed: Compensation, error: string, now: number) {
  const line = { event: 'card_compensation_owed', payment: owed.paymentId, action: owed.action }
  try {
    await env.DB.prepare(
      `INSERT INTO gateway_compensations (idempotency_key, payment_id, provider, ref, action,
         amount, attempts, next_attempt_at, last_error, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
       ON CONFLICT (idempotency_key) DO NOTHING`,
    )
      .bind(
        owed.idempotencyKey,
        owed.paymentId,
        owed.provider,
        owed.ref,
        owed.action,
        owed.amount,
        now + retryDelayMs(0),
        error.slice(0, 500),
        now,
      )
      .run()
    console.error(JSON.stringify(line))
  } catch (err) {
    // Neither the gateway nor D1: only the log line is left for an operator.
    console.error(
      JSON.stringify({ ...line, event: 'card_compensation_lost', error: errorText(err) }),
    )
  }
}

/**
 * The cron's pass: each owed call that is due is claimed (its attempt counted and its next try
 * pushed out, so an overlapping tick skips it), sent again, and marked done when the gateway
 * answers: `ok`, or `declined` when it has nothing to give back (the authorization lapsed).
 */
export async function retryCompensations(env: Env, now: number) {
  const { results } = await env.DB.prepare(
    `SELECT idempotency_key, payment_id, provider, ref, action, amount, attempts
     FROM gateway_compensations WHERE done_at IS NULL AND next_attempt_at <= ?
     ORDER BY next_attempt_at LIMIT ?`,
  )
    .bind(now, PER_TICK)
    .all<Row>()
  const report = { givenBack: 0, declined: 0, stillOwed: 0 }
  for (const row of results) {
    const claimed = await env.DB.prepare(
      `UPDATE gateway_compensations SET attempts = attempts + 1, next_attempt_at = ?
       WHERE idempotency_key = ? AND done_at IS NULL AND attempts = ?`,
    )
      .bind(now + retryDelayMs(row.attempts + 1), row.idempotency_key, row.attempts)
      .run()
    if (claimed.meta.changes !== 1) continue
    const owed = { ...row, idempotencyKey: row.idempotency_key, paymentId: row.payment_id }
    try {
      const outcome = await callGateway(providerFor(env, row.provider), owed)
      await env.DB.prepare(
        `UPDATE gateway_compensations SET outcome = ?, done_at = ?, last_error = ?
         WHERE idempotency_key = ?`,
      )
        .bind(
          outcome.ok ? 'ok' : 'declined',
          now,
          outcome.ok ? null : outcome.message,
          row.idempotency_key,
        )
        .run()
      if (outcome.ok) report.givenBack++
      else {
        report.declined++
        const line = { event: 'card_compensation_declined', payment: row.payment_id }
        console.error(JSON.stringify(line))
      }
    } catch (err) {
      await env.DB.prepare(
        'UPDATE gateway_compensations SET last_error = ? WHERE idempotency_key = ?',
      )
        .bind(errorText(err).slice(0, 500), row.idempotency_key)
        .run()
      report.stillOwed++
    }
  }
  return report
}

function callGateway(provider: PaymentProvider, owed: Omit<Compensation, 'provider'>) {
  const { ref, idempotencyKey } = owed
  return withRetries(() =>
    owed.action === 'void'
      ? provider.void({ ref, idempotencyKey })
      : provider.refund({ ref, amount: owed.amount, idempotencyKey }),
  )
}
