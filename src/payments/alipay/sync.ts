import { alipayConfig, missingAlipaySettings } from '../../alipay/config'
import { callAlipay, isSuccess } from '../../alipay/gateway'
import { fenOf } from '../../alipay/protocol'
import { expireIfDue } from '../intents'
import type { Purposes } from '../purposes'
import { findPayment } from '../store'
import { settleFromAlipay } from './settle'
import { endTradeStatement, type AlipayTrade } from './trades'

const BATCH = 20

/**
 * Cron: for each open trade, asks alipay.trade.query. Paid: settled (or refunded when the payment
 * ended meanwhile) exactly as a notify would, so a lost or late notify changes nothing. Unpaid and
 * the payment has ended (expired, canceled, paid another way): the trade is closed
 * (alipay.trade.close), so the QR code no longer takes money. Oldest first, a bounded slice.
 */
export async function syncAlipayTrades(env: Env, purposes: Purposes, now: number) {
  if (missingAlipaySettings(env).length > 0) return { skipped: 'not configured' }
  const config = alipayConfig(env)
  const { results } = await env.DB.prepare(
    `SELECT * FROM alipay_trades WHERE status = 'open' ORDER BY created_at LIMIT ?`,
  )
    .bind(BATCH)
    .all<AlipayTrade>()
  const counts = { settled: 0, refunded: 0, closed: 0 }
  for (const trade of results) {
    try {
      const found = await findPayment(env.DB, trade.payment_id)
      if (!found) continue
      const payment = await expireIfDue(env, purposes, found, now)
      const query = await callAlipay(
        config,
        'alipay.trade.query',
        { out_trade_no: trade.out_trade_no },
        { now },
      )
      const paid =
        isSuccess(query) &&
        ['TRADE_SUCCESS', 'TRADE_FINISHED'].includes(String(query.trade_status)) &&
        fenOf(String(query.total_amount)) === trade.amount &&
        typeof query.trade_no === 'string'
      if (paid) {
        const outcome = await settleFromAlipay(
          env,
          config,
          purposes,
          trade,
          query.trade_no as string,
          now,
        )
        if (outcome === 'settled') counts.settled++
        if (outcome === 'refunded') counts.refunded++
        continue
      }
      if (payment.status === 'requires_confirmation') continue
      // TRADE_NOT_EXIST (never scanned) still closes: the QR code stops working.
      const close = await callAlipay(
        config,
        'alipay.trade.close',
        { out_trade_no: trade.out_trade_no },
        { now },
      )
      if (isSuccess(close) || close.sub_code === 'ACQ.TRADE_NOT_EXIST') {
        await endTradeStatement(env.DB, trade.out_trade_no, 'closed', null, now).run()
        counts.closed++
      }
    } catch (err) {
      const line = { cron: 'alipay.sync', trade: trade.out_trade_no, error: String(err) }
      console.error(JSON.stringify(line))
    }
  }
  return counts
}
