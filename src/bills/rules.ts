import { ApiError } from '../http/errors'
import type { BillerRow } from './billers'
import { chinaDate } from './dates'
import type { BillRow } from './lookup'

/**
 * The payment rules of bill-payment networks, applied to one payment of one bill:
 * - exact: the whole remaining amount, nothing else;
 * - partial: any amount up to what is still due;
 * - any: any amount, also above what is due (prepaid electricity and gas top-ups);
 * - min_amount: no single payment below it, except the one that settles the bill;
 * - max_amount: no single payment above it;
 * - payable_after_due = false: once the due date has passed, the bill is paid at the biller.
 * Returns the amount to pay (the remaining amount when none was asked for).
 */
export function payableAmount(
  bill: Pick<BillRow, 'amount_due' | 'amount_paid' | 'status' | 'due_date'>,
  biller: Pick<BillerRow, 'amount_rule' | 'min_amount' | 'max_amount' | 'payable_after_due'>,
  requested: number | undefined,
  now: number,
): number {
  const remaining = bill.amount_due - bill.amount_paid
  if (bill.status === 'paid' || remaining <= 0)
    throw new ApiError('bill_already_paid', 'This bill is already paid')
  if (biller.payable_after_due === 0 && bill.due_date < chinaDate(now)) {
    throw new ApiError(
      'bill_not_payable',
      `This biller does not accept payments after the due date (${bill.due_date})`,
    )
  }
  const amount = requested ?? remaining
  const refuse = (detail: string) =>
    new ApiError('amount_not_allowed', detail, {
      amount_remaining: { amount: remaining, currency: 'CNY' },
    })
  if (biller.amount_rule === 'exact' && amount !== remaining) {
    throw refuse(`This biller accepts only the full amount due (${remaining} fen)`)
  }
  if (biller.amount_rule === 'partial' && amount > remaining) {
    throw refuse(`At most the amount still due (${remaining} fen) can be paid`)
  }
  if (biller.min_amount !== null && amount < biller.min_amount && amount < remaining) {
    throw refuse(
      `A single payment must be at least ${biller.min_amount} fen unless it settles the bill`,
    )
  }
  if (biller.max_amount !== null && amount > biller.max_amount) {
    throw refuse(`A single payment may be at most ${biller.max_amount} fen`)
  }
  return amount
}
