import type { RowOf } from '../db/rows'
import type { payments as paymentsTable } from '../db/schema/payments'
import type { Payment, PurposeType } from './purposes'

/** The payments row as D1 returns it. */
export type PaymentRow = RowOf<typeof paymentsTable>

export function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    purpose: { type: row.purpose_type, id: row.purpose_id },
    userId: row.user_id,
    startedByDeviceId: row.started_by_device_id,
    amount: row.amount,
    currency: row.currency,
    capture: row.capture,
    payee:
      row.payee_kind === 'biller'
        ? { kind: 'biller', billerId: row.payee_biller_id! }
        : { kind: 'merchant' },
    status: row.status,
    version: row.version,
    confirmationCode: row.confirmation_code,
    method: row.method,
    providerRef: row.provider_ref,
    refundedAmount: row.refunded_amount,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  }
}

export async function findPayment(d1: D1Database, paymentId: string): Promise<Payment | null> {
  const row = await d1
    .prepare('SELECT * FROM payments WHERE id = ?')
    .bind(paymentId)
    .first<PaymentRow>()
  return row ? toPayment(row) : null
}

/** Payments by id, read 100 at a time (D1 binds at most 100 parameters a query). */
export async function findPayments(
  d1: D1Database,
  paymentIds: string[],
): Promise<Map<string, Payment>> {
  const out = new Map<string, Payment>()
  for (let i = 0; i < paymentIds.length; i += 100) {
    const chunk = paymentIds.slice(i, i + 100)
    const { results } = await d1
      .prepare(`SELECT * FROM payments WHERE id IN (${chunk.map(() => '?').join(',')})`)
      .bind(...chunk)
      .all<PaymentRow>()
    for (const row of results) out.set(row.id, toPayment(row))
  }
  return out
}

/** The open (requires_confirmation / requires_capture) payment of a purpose, if any. */
export async function findOpenPayment(
  d1: D1Database,
  purpose: { type: PurposeType; id: string },
): Promise<Payment | null> {
  const row = await d1
    .prepare(
      `SELECT * FROM payments WHERE purpose_type = ? AND purpose_id = ?
         AND status IN ('requires_confirmation', 'requires_capture')`,
    )
    .bind(purpose.type, purpose.id)
    .first<PaymentRow>()
  return row ? toPayment(row) : null
}

export function paymentTtlMs(env: { PAYMENT_TTL_SECONDS?: string }): number {
  const seconds = Number(env.PAYMENT_TTL_SECONDS ?? '600')
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 600) * 1000
}
