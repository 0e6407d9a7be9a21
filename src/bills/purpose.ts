import { ApiError } from '../http/errors'
import type { Payment, PurposeHandler } from '../payments'
import { findBiller } from './billers'
import type { BillRow } from './lookup'
import { payableAmount } from './rules'

/**
 * Purpose 'bill' (purpose id = bill id). Payments runs these statements in the very batch that
 * moves the payment and its ledger transfer to the biller's payable account, so "bill paid" and
 * "money with the biller" commit together or not at all.
 */
export const billPurpose: PurposeHandler = {
  async beforeConfirm(env, payment) {
    const row = await env.DB.prepare(
      `SELECT b.*, a.bill_version AS attempt_version
       FROM bill_payment_attempts a JOIN bills b ON b.id = a.bill_id WHERE a.payment_id = ?`,
    )
      .bind(payment.id)
      .first<BillRow & { attempt_version: number }>()
    if (!row) throw new ApiError('bill_not_payable', 'This payment is not linked to a bill')
    if (row.status === 'paid') throw new ApiError('bill_already_paid', 'This bill is already paid')
    if (row.version !== row.attempt_version) {
      throw new ApiError(
        'bill_changed',
        'The bill changed after this payment was started; cancel it and start again',
      )
    }
    const biller = await findBiller(env.DB, row.biller_id)
    if (!biller) throw new ApiError('bill_not_payable', 'The biller of this bill is gone')
    payableAmount(row, biller, payment.amount, Date.now())
  },

  async onTransition(env, payment, to, now) {
    if (to === 'succeeded') return settleStatements(env, payment, now)
    if (to === 'refunded' || to === 'partially_refunded') return refundStatements(env, payment, now)
    return []
  },
}

/**
 * The settlement entry is written first, with a biller_id that the subquery finds only while the
 * bill is at the version the payment was priced on, unpaid, and (unless the biller takes any
 * amount) not overpaid by this payment: otherwise biller_id is NULL and the whole batch, money
 * included, rolls back. beforeConfirm has checked the same moments before.
 */
function settleStatements(env: Env, payment: Payment, now: number): D1PreparedStatement[] {
  const billId = payment.purpose.id
  return [
    env.DB.prepare(
      `INSERT INTO bill_settlements (id, biller_id, bill_id, payment_id, kind, amount, at)
       VALUES (?, (SELECT b.biller_id FROM bill_payment_attempts a
                   JOIN bills b ON b.id = a.bill_id JOIN billers r ON r.id = b.biller_id
                   WHERE a.payment_id = ? AND b.id = ? AND b.version = a.bill_version AND b.status <> 'paid'
                     AND (r.amount_rule = 'any' OR b.amount_paid + ? <= b.amount_due)),
               ?, ?, 'payment', ?, ?)`,
    ).bind(
      `${payment.id}:payment`,
      payment.id,
      billId,
      payment.amount,
      billId,
      payment.id,
      payment.amount,
      now,
    ),
    env.DB.prepare(
      `UPDATE bills SET amount_paid = amount_paid + ?1,
         status = CASE WHEN amount_paid + ?1 >= amount_due THEN 'paid' ELSE 'partially_paid' END,
         paid_at = CASE WHEN amount_paid + ?1 >= amount_due THEN ?2 ELSE NULL END,
         version = version + 1, updated_at = ?2
       WHERE id = ?3`,
    ).bind(payment.amount, now, billId),
  ]
}

/**
 * A refund takes the refunded part off the bill (which may so become partially paid or unpaid
 * again) and tells the biller through a 'refund' entry. How much was refunded this time is read in
 * SQL: payments has already raised refunded_amount earlier in the same batch, and `payment` is
 * the state before, so the entry id (like the ledger's dedupe key) is unique per refund.
 */
function refundStatements(env: Env, payment: Payment, now: number): D1PreparedStatement[] {
  const billId = payment.purpose.id
  const delta = '(SELECT refunded_amount - ?1 FROM payments WHERE id = ?2)'
  return [
    env.DB.prepare(
      `INSERT INTO bill_settlements (id, biller_id, bill_id, payment_id, kind, amount, at)
       VALUES (?3, (SELECT biller_id FROM bills WHERE id = ?4), ?4, ?2, 'refund', ${delta}, ?5)`,
    ).bind(
      payment.refundedAmount,
      payment.id,
      `${payment.id}:refund:${payment.refundedAmount}`,
      billId,
      now,
    ),
    env.DB.prepare(
      `UPDATE bills SET amount_paid = amount_paid - ${delta},
         status = CASE WHEN amount_paid - ${delta} >= amount_due THEN 'paid'
                       WHEN amount_paid - ${delta} > 0 THEN 'partially_paid' ELSE 'unpaid' END,
         paid_at = CASE WHEN amount_paid - ${delta} >= amount_due THEN paid_at ELSE NULL END,
         version = version + 1, updated_at = ?3
       WHERE id = ?4`,
    ).bind(payment.refundedAmount, payment.id, now, billId),
  ]
}
