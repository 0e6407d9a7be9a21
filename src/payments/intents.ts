import type { Principal } from '../env'
import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
import { captureTransfer, fundsOf, releaseTransfer } from './funds'
import { errorText } from '../lib/d1-errors'
import { giveBack } from './compensations'
import { providerFor, withRetries } from './providers'
import type { CaptureMode, Payee, Payment, Purposes, PurposeType } from './purposes'
import { findPayment, paymentTtlMs, type PaymentRow } from './store'
import { transition, TransitionConflict } from './transitions'
import { toPaymentView, type PaymentView } from './view'

export type NewPaymentInput = {
  purpose: { type: PurposeType; id: string }
  /** The person who pays (the device's owner when a TV starts it). */
  userId: string
  startedBy: Principal
  amount: number
  capture: CaptureMode
  payee: Payee
  now: number
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

function confirmationCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6))
  return Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('')
}

/**
 * The statements that create a payment in requires_confirmation. The caller runs them in its own
 * batch with its own writes (stock reservation, participation, ...), then calls paymentStarted()
 * with `payment` (the row those statements write) once that batch committed. A second open payment
 * for the same purpose fails the batch on the partial unique index payments_open_purpose_uq.
 */
export function newPaymentStatements(
  env: Env,
  input: NewPaymentInput,
): { paymentId: string; payment: Payment; statements: D1PreparedStatement[] } {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw new Error(`payment amount must be a positive integer of fen, got ${input.amount}`)
  }
  if (input.startedBy.userId !== input.userId) {
    throw new Error('a payment is started by its payer or their device')
  }
  const paymentId = newId('payment')
  const deviceId = input.startedBy.kind === 'device' ? input.startedBy.deviceId : null
  const billerId = input.payee.kind === 'biller' ? input.payee.billerId : null
  const payment: Payment = {
    id: paymentId,
    purpose: input.purpose,
    userId: input.userId,
    startedByDeviceId: deviceId,
    amount: input.amount,
    currency: 'CNY',
    capture: input.capture,
    payee: input.payee,
    status: 'requires_confirmation',
    version: 1,
    confirmationCode: confirmationCode(),
    method: null,
    providerRef: null,
    refundedAmount: 0,
    createdAt: input.now,
    updatedAt: input.now,
    expiresAt: input.now + paymentTtlMs(env),
  }
  const statement = env.DB.prepare(
    `INSERT INTO payments (id, purpose_type, purpose_id, user_id, started_by_device_id, amount,
       currency, capture, payee_kind, payee_biller_id, status, version, confirmation_code,
       created_at, updated_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, 'CNY', ?, ?, ?, 'requires_confirmation', 1, ?, ?, ?, ?)`,
  ).bind(
    paymentId,
    input.purpose.type,
    input.purpose.id,
    input.userId,
    deviceId,
    input.amount,
    input.capture,
    input.payee.kind,
    billerId,
    payment.confirmationCode,
    payment.createdAt,
    payment.updatedAt,
    payment.expiresAt,
  )
  return { paymentId, payment, statements: [statement] }
}

/**
 * A new payment in requires_confirmation as a plain row: ids, confirmation code and expiry are
 * fixed here, so a caller that writes many payments in one statement can keep the rows and send
 * the very same statement again after a lost answer (a second insert of an id fails: nothing
 * doubles). Hot deals write their joins this way (src/deals/hot-deal.ts).
 */
export function newPaymentRow(env: Env, input: NewPaymentInput): PaymentRow {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw new Error(`payment amount must be a positive integer of fen, got ${input.amount}`)
  }
  if (input.startedBy.userId !== input.userId) {
    throw new Error('a payment is started by its payer or their device')
  }
  return {
    id: newId('payment'),
    purpose_type: input.purpose.type,
    purpose_id: input.purpose.id,
    user_id: input.userId,
    started_by_device_id: input.startedBy.kind === 'device' ? input.startedBy.deviceId : null,
    amount: input.amount,
    currency: 'CNY',
    capture: input.capture,
    payee_kind: input.payee.kind,
    payee_biller_id: input.payee.kind === 'biller' ? input.payee.billerId : null,
    status: 'requires_confirmation',
    version: 1,
    confirmation_code: confirmationCode(),
    method: null,
    provider_ref: null,
    refunded_amount: 0,
    created_at: input.now,
    updated_at: input.now,
    expires_at: input.now + paymentTtlMs(env),
  }
}

const PAYMENT_INSERT_COLUMNS = [
  'id',
  'purpose_type',
  'purpose_id',
  'user_id',
  'started_by_device_id',
  'amount',
  'currency',
  'capture',
  'payee_kind',
  'payee_biller_id',
  'status',
  'version',
  'confirmation_code',
  'created_at',
  'updated_at',
  'expires_at',
] as const

/** One INSERT for any number of rows from newPaymentRow: they travel as one JSON parameter. */
export function insertPaymentsStatement(env: Env, rows: PaymentRow[]): D1PreparedStatement {
  const columns = PAYMENT_INSERT_COLUMNS.join(', ')
  const values = PAYMENT_INSERT_COLUMNS.map((c) => `json_extract(value, '$.${c}')`).join(', ')
  const json = JSON.stringify(
    rows.map((r) => Object.fromEntries(PAYMENT_INSERT_COLUMNS.map((c) => [c, r[c]]))),
  )
  return env.DB.prepare(
    `INSERT INTO payments (${columns}) SELECT ${values} FROM json_each(?)`,
  ).bind(json)
}

const OPEN_PURPOSE_TAKEN = /UNIQUE constraint failed: payments\.purpose_type, payments\.purpose_id/

/** True when a batch failed because the purpose already has an open payment. */
export function isOpenPaymentConflict(err: unknown): boolean {
  return OPEN_PURPOSE_TAKEN.test(errorText(err))
}

/** Reads a payment, expiring it first when it sat unconfirmed past expires_at. */
export async function loadPayment(
  env: Env,
  purposes: Purposes,
  paymentId: string,
  now: number,
): Promise<Payment | null> {
  const payment = await findPayment(env.DB, paymentId)
  return payment ? expireIfDue(env, purposes, payment, now) : null
}

export async function expireIfDue(
  env: Env,
  purposes: Purposes,
  payment: Payment,
  now: number,
): Promise<Payment> {
  if (payment.status !== 'requires_confirmation' || payment.expiresAt > now) return payment
  try {
    return await transition(env, purposes, payment, 'expired', now)
  } catch (err) {
    if (!(err instanceof TransitionConflict)) throw err
    return (await findPayment(env.DB, payment.id)) ?? payment
  }
}

/** The contract's `<payment>` JSON (with a fresh receipt once money moved). Unknown id: 404. */
export async function getPaymentView(
  env: Env,
  purposes: Purposes,
  paymentId: string,
  now = Date.now(),
): Promise<PaymentView> {
  const payment = await loadPayment(env, purposes, paymentId, now)
  if (!payment) throw new ApiError('not_found', 'No such payment')
  return toPaymentView(env, payment, now)
}

export type SettleResult = { payment: Payment; changed: boolean }

/**
 * requires_capture → succeeded: held funds go to the payee, with the purpose's statements, in one
 * batch. Idempotent: an already captured payment is reported with changed: false. A card the
 * gateway refuses to capture makes the payment failed and gives the authorization back.
 */
export async function capturePayment(
  env: Env,
  purposes: Purposes,
  paymentId: string,
  now: number,
): Promise<SettleResult> {
  const payment = await findPayment(env.DB, paymentId)
  if (!payment) throw new ApiError('not_found', 'No such payment')
  if (['succeeded', 'partially_refunded', 'refunded'].includes(payment.status)) {
    return { payment, changed: false }
  }
  if (payment.status !== 'requires_capture') {
    throw cannot(payment, 'captured')
  }
  const funds = fundsOf(payment)
  if (funds.provider) {
    const { name, ref } = funds.provider
    const provider = providerFor(env, name)
    const amount = payment.amount
    const outcome = await withRetries(() =>
      provider.capture({ ref, amount, idempotencyKey: `${payment.id}:capture` }),
    )
    if (!outcome.ok) {
      // The void is owed (and retried by the cron) if the gateway does not answer it now.
      const voidKey = `${payment.id}:void`
      const owed = {
        paymentId: payment.id,
        ref,
        action: 'void' as const,
        amount,
        idempotencyKey: voidKey,
      }
      await giveBack(env, provider, owed, now)
      return settle(env, purposes, payment, 'failed', now, () => [releaseTransfer(payment, funds)])
    }
  }
  return settle(env, purposes, payment, 'succeeded', now, () => [captureTransfer(payment, funds)])
}

/**
 * Gives back what a payment reserved: requires_capture → canceled moves the hold back to where it
 * came from (voiding a card authorization); requires_confirmation → canceled moves no money but
 * lets the purpose release its units. Idempotent: canceled, expired or failed report
 * changed: false.
 */
export async function releasePayment(
  env: Env,
  purposes: Purposes,
  paymentId: string,
  now: number,
): Promise<SettleResult> {
  const payment = await findPayment(env.DB, paymentId)
  if (!payment) throw new ApiError('not_found', 'No such payment')
  if (['canceled', 'expired', 'failed'].includes(payment.status)) return { payment, changed: false }
  if (payment.status === 'requires_confirmation') {
    return settle(env, purposes, payment, 'canceled', now, () => [])
  }
  if (payment.status !== 'requires_capture') {
    throw cannot(payment, 'released')
  }
  const funds = fundsOf(payment)
  if (funds.provider) {
    const { name, ref } = funds.provider
    const provider = providerFor(env, name)
    await withRetries(() => provider.void({ ref, idempotencyKey: `${payment.id}:void` }))
  }
  return settle(env, purposes, payment, 'canceled', now, () => [releaseTransfer(payment, funds)])
}

async function settle(
  env: Env,
  purposes: Purposes,
  payment: Payment,
  to: 'succeeded' | 'canceled' | 'failed',
  now: number,
  transfers: () => ReturnType<typeof captureTransfer>[],
): Promise<SettleResult> {
  try {
    const moved = await transition(env, purposes, payment, to, now, { transfers: transfers() })
    return { payment: moved, changed: true }
  } catch (err) {
    if (!(err instanceof TransitionConflict)) throw err
    // Someone else moved it first (a concurrent capture, release or expiry): report where it is.
    const current = (await findPayment(env.DB, payment.id)) ?? payment
    const already =
      current.status === to ||
      (to === 'succeeded' && ['partially_refunded', 'refunded'].includes(current.status))
    if (already) return { payment: current, changed: false }
    throw new ApiError('invalid_transition', `The payment is now ${current.status}`, {
      payment_status: current.status,
    })
  }
}

function cannot(payment: Payment, what: string): ApiError {
  return new ApiError('invalid_transition', `A ${payment.status} payment cannot be ${what}`, {
    payment_status: payment.status,
  })
}
