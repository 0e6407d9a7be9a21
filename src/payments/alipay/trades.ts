/** The alipay_trades row (src/db/schema/alipay.ts). */
export type AlipayTrade = {
  out_trade_no: string
  payment_id: string
  amount: number
  qr_code: string
  qr_expires_at: number
  status: 'open' | 'paid' | 'closed' | 'refunded'
  trade_no: string | null
  created_at: number
  updated_at: number
}

export function findTrade(d1: D1Database, outTradeNo: string): Promise<AlipayTrade | null> {
  return d1
    .prepare('SELECT * FROM alipay_trades WHERE out_trade_no = ?')
    .bind(outTradeNo)
    .first<AlipayTrade>()
}

/** Marks an open trade as ended; put it in the batch that records why. */
export function endTradeStatement(
  d1: D1Database,
  outTradeNo: string,
  status: 'paid' | 'closed' | 'refunded',
  tradeNo: string | null,
  now: number,
): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE alipay_trades SET status = ?, trade_no = COALESCE(?, trade_no), updated_at = ?
       WHERE out_trade_no = ? AND status = 'open'`,
    )
    .bind(status, tradeNo, now, outTradeNo)
}
