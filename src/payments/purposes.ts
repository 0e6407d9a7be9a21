import type { PaymentRow } from './store'

/**
 * What a payment pays for. Each capability that starts payments (orders, deals, bills) exports a
 * handler; src/wiring.ts puts them in one `Purposes` record that the app and the cron pass to
 * every payments function that moves a payment. Payments calls the handler inside the very batch
 * that moves the payment and its money, so "order paid", "seat confirmed", "units released" or
 * "bill paid" commit together with the ledger transfer or not at all.
 */
// The closed sets come from the payments table (src/db/schema/payments.ts), whose CHECKs match.
export type PurposeType = PaymentRow['purpose_type']

export type PaymentStatus = PaymentRow['status']

export type CaptureMode = PaymentRow['capture']

export type Payee = { kind: 'merchant' } | { kind: 'biller'; billerId: string }

/** A payment as purposes see it (the row, in camelCase). */
export type Payment = {
  id: string
  purpose: { type: PurposeType; id: string }
  userId: string
  startedByDeviceId: string | null
  amount: number
  currency: 'CNY'
  capture: CaptureMode
  payee: Payee
  status: PaymentStatus
  version: number
  confirmationCode: string
  method: string | null
  providerRef: string | null
  refundedAmount: number
  createdAt: number
  updatedAt: number
  expiresAt: number
}

export type ShippingAddress = {
  name: string
  phone: string
  province: string
  city: string
  district?: string
  line1: string
  postal_code: string
}

/** What the phone sent with its confirmation, as validated by the confirm route. */
export type ConfirmInput = {
  paymentMethod: string
  shippingAddress?: ShippingAddress
}

export type PurposeHandler = {
  /**
   * Statements run atomically in the same batch as the payment's transition to `to` and its ledger
   * transfer. Called for every transition: requires_capture, succeeded, canceled, expired, failed,
   * partially_refunded, refunded. Return [] when the purpose has nothing to record.
   */
  onTransition(
    env: Env,
    payment: Payment,
    to: PaymentStatus,
    now: number,
  ): Promise<D1PreparedStatement[]>
  /**
   * Optional: onTransition for several payments of this purpose moving to the same status in one
   * batch (settlement's chunks). The same statements per payment, by position, with what they
   * need read once for all rather than once each.
   */
  onTransitions?(
    env: Env,
    payments: Payment[],
    to: PaymentStatus,
    now: number,
  ): Promise<D1PreparedStatement[][]>
  /**
   * Before the phone's confirmation is attempted: throw an ApiError when the purpose can no longer
   * be paid (deal ended, bill already paid) or the input is not enough (an order needs a shipping
   * address). May return statements to run in the confirmation batch (e.g. store the address).
   */
  beforeConfirm?(
    env: Env,
    payment: Payment,
    input: ConfirmInput,
  ): Promise<void | D1PreparedStatement[]>
  /**
   * After a transition committed; best effort (cron covers misses): errors are logged. `purposes`
   * is there for handlers that move other payments in turn (a filled team captures its members).
   */
  afterTransition?(
    env: Env,
    payment: Payment,
    to: PaymentStatus,
    now: number,
    purposes: Purposes,
  ): Promise<void>
}

/** Every purpose's handler: a purpose left out of src/wiring.ts is a compile error. */
export type Purposes = Record<PurposeType, PurposeHandler>

export const OPEN_STATUSES: readonly PaymentStatus[] = ['requires_confirmation', 'requires_capture']

export const TERMINAL_STATUSES: readonly PaymentStatus[] = [
  'succeeded',
  'canceled',
  'expired',
  'failed',
  'partially_refunded',
  'refunded',
]

/**
 * The state table. The same table is a CHECK constraint on payment_transitions, so a transition
 * outside it fails in SQL even if this check were bypassed. Only refunds leave a terminal state:
 * succeeded → refunded (all of it) or partially_refunded (part), partially_refunded → itself
 * (a further part) or refunded (the rest).
 */
export const TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  requires_confirmation: ['succeeded', 'requires_capture', 'canceled', 'expired', 'failed'],
  requires_capture: ['succeeded', 'canceled', 'failed'],
  succeeded: ['refunded', 'partially_refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
  canceled: [],
  expired: [],
  failed: [],
}

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return TRANSITIONS[from].includes(to)
}
