import { alipayConfig } from '../../alipay/config'
import { AlipayGatewayError, keys } from '../../alipay/gateway'
import { fenOf, notifySigningStrings } from '../../alipay/protocol'
import { verifyRsa2 } from '../../alipay/rsa2'
import type { Purposes } from '../purposes'
import { settleFromAlipay } from './settle'
import { findTrade } from './trades'

const PAID = ['TRADE_SUCCESS', 'TRADE_FINISHED']

/**
 * POST /v1/providers/alipay/notify: Alipay's asynchronous notify, form fields as posted. The
 * answer is the body Alipay reads: `success` stops its retries, anything else (`fail`) makes it
 * retry. Verified with Alipay's public key over the sorted fields less sign and sign_type; app_id,
 * out_trade_no and total_amount must match our trade. A repeat moves nothing twice.
 */
export async function handleAlipayNotify(
  env: Env,
  purposes: Purposes,
  fields: Record<string, string>,
  now: number,
): Promise<{ status: 200 | 400 | 502; body: 'success' | 'fail' }> {
  const config = alipayConfig(env)
  const [, publicKey] = await keys(config)
  const refuse = (why: string) => {
    console.error(
      JSON.stringify({ event: 'alipay_notify_refused', why, out_trade_no: fields.out_trade_no }),
    )
    return { status: 400 as const, body: 'fail' as const }
  }
  let verified = false
  for (const text of notifySigningStrings(fields)) {
    if (fields.sign && (await verifyRsa2(publicKey, text, fields.sign))) verified = true
  }
  if (!verified) return refuse('bad signature')
  if (fields.app_id !== config.appId) return refuse('another app_id')
  const trade = fields.out_trade_no ? await findTrade(env.DB, fields.out_trade_no) : null
  if (!trade) return refuse('unknown out_trade_no')
  if (fenOf(fields.total_amount) !== trade.amount) return refuse('wrong total_amount')
  // WAIT_BUYER_PAY and TRADE_CLOSED change nothing; the cron closes what needs closing.
  if (!PAID.includes(fields.trade_status ?? '')) return { status: 200, body: 'success' }
  if (!fields.trade_no) return refuse('no trade_no')
  try {
    await settleFromAlipay(env, config, purposes, trade, fields.trade_no, now)
  } catch (err) {
    if (!(err instanceof AlipayGatewayError)) throw err
    // The refund of late money did not go through: Alipay retries the notify, the cron too.
    console.error(
      JSON.stringify({
        event: 'alipay_late_refund_failed',
        out_trade_no: trade.out_trade_no,
        error: err.message,
      }),
    )
    return { status: 502, body: 'fail' }
  }
  return { status: 200, body: 'success' }
}
