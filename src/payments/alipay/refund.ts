import { alipayConfig } from '../../alipay/config'
import { AlipayGatewayError, callAlipay, isSuccess, providerError } from '../../alipay/gateway'
import { yuan } from '../../alipay/protocol'
import type { RefundRail } from '../refunds'

/**
 * Refunds of an Alipay payment go back through alipay.trade.refund. out_request_no is keyed like
 * the refund's ledger transfer (by what was refunded before), so every retry of one refund request
 * is the same request at Alipay and never refunds twice.
 */
export const alipayRefundRail: RefundRail = async (env, payment, amount, now) => {
  const config = alipayConfig(env)
  let answer: Awaited<ReturnType<typeof callAlipay>>
  try {
    answer = await callAlipay(
      config,
      'alipay.trade.refund',
      {
        out_trade_no: payment.id,
        refund_amount: yuan(amount),
        out_request_no: `${payment.id}_r${payment.refundedAmount}`,
      },
      { now },
    )
  } catch (err) {
    if (!(err instanceof AlipayGatewayError)) throw err
    throw providerError('Alipay did not answer the refund; try again')
  }
  if (!isSuccess(answer)) {
    throw providerError(`Alipay refused the refund (${answer.sub_code ?? answer.code})`)
  }
  return []
}
