import type { AlipayConfig } from '../../alipay/config'
import { AlipayGatewayError, callAlipay, isSuccess } from '../../alipay/gateway'
import { yuan } from '../../alipay/protocol'
import { captureTransfer, fundsOf, holdTransfer } from '../funds'
import { expireIfDue } from '../intents'
import { accounts, transferRetry, transferStatements } from '../ledger'
import type { Payment, Purposes } from '../purposes'
import { findPayment } from '../store'
import { transition, TransitionConflict } from '../transitions'
import { endTradeStatement, type AlipayTrade } from './trades'

/** Where money Alipay reports paid ended up. */
export type AlipayOutcome = 'settled' | 'already_settled' | 'refunded'

/**
 * Alipay says the buyer paid the trade (a verified notify, or a verified query answer). The
 * payment succeeds by it when it still awaits confirmation; if it ended meanwhile (expired,
 * canceled) or another method settled it first (a racing wallet or card confirm), the money is
 * refunded at Alipay and booked in and out through the Alipay clearing account. Idempotent.
 * Throws AlipayGatewayError when a needed refund could not be made (the caller answers so that
 * Alipay, or the next cron tick, tries again).
 */
export async function settleFromAlipay(
  env: Env,
  config: AlipayConfig,
  purposes: Purposes,
  trade: AlipayTrade,
  tradeNo: string,
  now: number,
): Promise<AlipayOutcome> {
  const providerRef = `alipay:${tradeNo}`
  const found = await findPayment(env.DB, trade.payment_id)
  if (!found) throw new Error(`alipay trade ${trade.out_trade_no} has no payment`)
  let payment = await expireIfDue(env, purposes, found, now)
  if (payment.status === 'requires_confirmation') {
    const funds = fundsOf(payment, 'alipay', providerRef)
    try {
      await transition(env, purposes, payment, 'succeeded', now, {
        transfers: [holdTransfer(payment, funds), captureTransfer(payment, funds)],
        set: { method: 'alipay', providerRef },
        extra: [endTradeStatement(env.DB, trade.out_trade_no, 'paid', tradeNo, now)],
      })
      return 'settled'
    } catch (err) {
      if (!(err instanceof TransitionConflict)) throw err
      // A wallet or card confirmation (or the expiry) won the race: decide again from there.
      payment = (await findPayment(env.DB, payment.id)) ?? payment
    }
  }
  if (payment.providerRef === providerRef) return 'already_settled'
  if (trade.status === 'refunded') return 'refunded'
  await refundLateMoney(env, config, payment, trade, tradeNo, now)
  return 'refunded'
}

/**
 * The whole amount back to the buyer (one out_request_no per trade, so a repeat refunds nothing
 * more), then the ledger: in from the clearing account and straight back out, in one batch with
 * the trade's end. A repeat finds the transfers posted and changes nothing.
 */
async function refundLateMoney(
  env: Env,
  config: AlipayConfig,
  payment: Payment,
  trade: AlipayTrade,
  tradeNo: string,
  now: number,
) {
  const answer = await callAlipay(
    config,
    'alipay.trade.refund',
    {
      out_trade_no: trade.out_trade_no,
      refund_amount: yuan(trade.amount),
      out_request_no: `${trade.out_trade_no}_late`,
      refund_reason: `payment ${payment.status} before the Alipay money arrived`,
    },
    { now },
  )
  if (!isSuccess(answer)) {
    throw new AlipayGatewayError(`alipay.trade.refund: ${answer.sub_code ?? answer.code}`)
  }
  const clearing = accounts.alipayClearing()
  const pending = accounts.providerAuthorized('alipay')
  const memo = `alipay ${tradeNo}: paid after the payment was ${payment.status}; refunded`
  const base = { paymentId: payment.id, amount: trade.amount, memo }
  const dedupe = `${payment.id}:alipay_late:${tradeNo}`
  try {
    await env.DB.batch([
      ...transferStatements(
        env.DB,
        { ...base, kind: 'hold', debit: clearing, credit: pending, dedupeKey: `${dedupe}:in` },
        now,
      ),
      ...transferStatements(
        env.DB,
        { ...base, kind: 'release', debit: pending, credit: clearing, dedupeKey: `${dedupe}:out` },
        now,
      ),
      endTradeStatement(env.DB, trade.out_trade_no, 'refunded', tradeNo, now),
    ])
  } catch (err) {
    if (transferRetry(err) !== 'exists') throw err
  }
  console.log(JSON.stringify({ event: 'alipay_late_money_refunded', payment: payment.id, tradeNo }))
}
