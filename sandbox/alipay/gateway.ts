// gateway.do: checks the caller's RSA2 signature with the app's public key, runs the four trade
// methods 当面付 needs, and answers with a body signed by the sandbox's own Alipay key.
import type { KeyObject } from 'node:crypto'
import { gatewayJson, requestContent, sign, verify } from './signing'
import { fenOf, gmt8, refundedFen, timeoutMs, type Trade, type TradeBook, yuan } from './trades'

export type GatewayKeys = { appId: string; appPublicKey: KeyObject; alipayPrivateKey: KeyObject }

type Answer = Record<string, unknown>

const METHODS = [
  'alipay.trade.precreate',
  'alipay.trade.query',
  'alipay.trade.close',
  'alipay.trade.refund',
] as const
type Method = (typeof METHODS)[number]

const SUCCESS = { code: '10000', msg: 'Success' }

function business(subCode: string, subMsg: string): Answer {
  return { code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg }
}

function invalid(subCode: string, subMsg: string): Answer {
  return { code: '40002', msg: 'Invalid Arguments', sub_code: subCode, sub_msg: subMsg }
}

/** The signed JSON body for `method` (or `error_response` when the method itself is unknown). */
export function signedBody(keys: GatewayKeys, root: string, answer: Answer): string {
  const text = gatewayJson(answer)
  return `{"${root}":${text},"sign":"${sign(keys.alipayPrivateKey, text)}"}`
}

export function handleGateway(
  keys: GatewayKeys,
  book: TradeBook,
  params: Map<string, string>,
  now: number,
  qrBase: string,
): { method: string; root: string; answer: Answer } {
  const method = params.get('method') ?? ''
  if (!METHODS.includes(method as Method)) {
    const answer = invalid('isv.invalid-method', `不存在的方法名: ${method}`)
    return { method, root: 'error_response', answer }
  }
  const root = `${method.replaceAll('.', '_')}_response`
  return { method, root, answer: run(keys, book, method as Method, params, now, qrBase) }
}

function run(
  keys: GatewayKeys,
  book: TradeBook,
  method: Method,
  params: Map<string, string>,
  now: number,
  qrBase: string,
): Answer {
  for (const name of ['app_id', 'charset', 'sign_type', 'sign', 'timestamp', 'version']) {
    if (!params.get(name)) {
      return { code: '40001', msg: 'Missing Required Arguments', sub_code: `isv.missing-${name}` }
    }
  }
  if (params.get('app_id') !== keys.appId) return invalid('isv.invalid-app-id', '无效的AppID参数')
  if (params.get('sign_type') !== 'RSA2') {
    return invalid('isv.invalid-signature-type', '无效的签名类型')
  }
  if (params.get('charset')?.toLowerCase() !== 'utf-8') {
    return invalid('isv.invalid-charset', '字符集错误')
  }
  if ((params.get('format') ?? 'JSON') !== 'JSON') return invalid('isv.invalid-format', '格式错误')
  if (params.get('version') !== '1.0') return invalid('isv.invalid-version', '版本号错误')
  if (!timestampOk(params.get('timestamp') ?? '', now)) {
    return invalid('isv.invalid-timestamp', '非法的时间戳参数 (GMT+8, yyyy-MM-dd HH:mm:ss)')
  }
  const content = requestContent(params)
  if (!verify(keys.appPublicKey, content, params.get('sign') ?? '')) {
    return invalid('isv.invalid-signature', `验签出错, 网关生成的验签字符串为: ${content}`)
  }
  let biz: Record<string, unknown>
  try {
    biz = JSON.parse(params.get('biz_content') ?? '{}')
    if (typeof biz !== 'object' || biz === null || Array.isArray(biz))
      throw new Error('not an object')
  } catch {
    return invalid('isv.invalid-biz-content', 'biz_content 不是 JSON 对象')
  }
  const outTradeNo = typeof biz.out_trade_no === 'string' ? biz.out_trade_no : ''
  if (!/^[A-Za-z0-9_]{1,64}$/.test(outTradeNo)) {
    return business('ACQ.INVALID_PARAMETER', 'out_trade_no: 64 个字符以内, 字母、数字、下划线')
  }
  const trade = book.find(outTradeNo, now)
  switch (method) {
    case 'alipay.trade.precreate':
      return precreate(book, trade, biz, params.get('notify_url'), now, qrBase)
    case 'alipay.trade.query':
      return query(trade)
    case 'alipay.trade.close':
      return close(trade)
    case 'alipay.trade.refund':
      return refund(trade, biz, now)
  }
}

/** Alipay takes `timestamp` in GMT+8: one sent in UTC (8 hours off) is refused. */
function timestampOk(text: string, now: number): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text)
  if (!m) return false
  const [, y, mo, d, h, mi, s] = m.map(Number)
  const sent = Date.UTC(y, mo - 1, d, h, mi, s) - 8 * 3600_000
  return Math.abs(sent - now) < 15 * 60_000
}

function precreate(
  book: TradeBook,
  existing: Trade | undefined,
  biz: Record<string, unknown>,
  notifyUrl: string | undefined,
  now: number,
  qrBase: string,
): Answer {
  const fen = fenOf(biz.total_amount)
  if (fen === null) return business('ACQ.INVALID_PARAMETER', 'total_amount 格式错误')
  if (typeof biz.subject !== 'string' || biz.subject === '') {
    return business('ACQ.INVALID_PARAMETER', '缺少 subject')
  }
  const timeout = timeoutMs(
    (biz.qr_code_timeout_express ?? biz.timeout_express) as string | undefined,
  )
  if (timeout === null) return business('ACQ.INVALID_PARAMETER', 'timeout_express 格式错误')
  let trade = existing
  if (trade) {
    if (trade.status === 'TRADE_SUCCESS' || trade.status === 'TRADE_FINISHED') {
      return business('ACQ.TRADE_HAS_SUCCESS', '交易已被支付')
    }
    if (trade.status === 'TRADE_CLOSED' || trade.closedUnscanned) {
      return business('ACQ.TRADE_HAS_CLOSE', '交易已经关闭')
    }
    if (trade.fen !== fen) return business('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改')
  } else {
    trade = book.create({
      outTradeNo: biz.out_trade_no as string,
      subject: biz.subject,
      totalAmount: String(biz.total_amount),
      fen,
      notifyUrl,
      timeoutMs: timeout,
      now,
    })
  }
  return { ...SUCCESS, out_trade_no: trade.outTradeNo, qr_code: `${qrBase}/qr/${trade.qrToken}` }
}

function query(trade: Trade | undefined): Answer {
  if (!trade || !trade.scanned) return business('ACQ.TRADE_NOT_EXIST', '交易不存在')
  const paid = trade.paidAt !== null
  return {
    ...SUCCESS,
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_logon_id: trade.buyerLogonId,
    trade_status: trade.status,
    total_amount: yuan(trade.fen),
    buyer_pay_amount: paid ? yuan(trade.fen) : '0.00',
    receipt_amount: paid ? yuan(trade.fen) : '0.00',
    ...(paid ? { send_pay_date: gmt8(trade.paidAt as number) } : {}),
    buyer_user_id: trade.buyerId,
  }
}

function close(trade: Trade | undefined): Answer {
  if (!trade) return business('ACQ.TRADE_NOT_EXIST', '交易不存在')
  if (!trade.scanned) {
    // Nothing exists at Alipay yet; the QR code no longer pays either.
    trade.closedUnscanned = true
    trade.status = 'TRADE_CLOSED'
    return business('ACQ.TRADE_NOT_EXIST', '交易不存在')
  }
  if (trade.status === 'TRADE_SUCCESS' || trade.status === 'TRADE_FINISHED') {
    return business('ACQ.TRADE_STATUS_ERROR', '交易状态不合法')
  }
  trade.status = 'TRADE_CLOSED'
  return { ...SUCCESS, trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo }
}

function refund(trade: Trade | undefined, biz: Record<string, unknown>, now: number): Answer {
  if (!trade || !trade.scanned) return business('ACQ.TRADE_NOT_EXIST', '交易不存在')
  if (trade.paidAt === null) return business('ACQ.TRADE_STATUS_ERROR', '交易状态不合法')
  const fen = fenOf(biz.refund_amount)
  if (fen === null) return business('ACQ.INVALID_PARAMETER', 'refund_amount 格式错误')
  const outRequestNo =
    typeof biz.out_request_no === 'string' ? biz.out_request_no : trade.outTradeNo
  const done = trade.refunds.find((r) => r.outRequestNo === outRequestNo)
  if (done && done.fen !== fen) {
    return business('ACQ.DISCORDANT_REPEAT_REQUEST', '不一致的请求: 同一 out_request_no 金额不同')
  }
  if (!done) {
    if (refundedFen(trade) + fen > trade.fen) {
      return business('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限')
    }
    trade.refunds.push({ outRequestNo, fen, at: now })
    if (refundedFen(trade) === trade.fen) trade.status = 'TRADE_CLOSED'
  }
  return {
    ...SUCCESS,
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_logon_id: trade.buyerLogonId,
    // A repeat of a request already done moves no money again.
    fund_change: done ? 'N' : 'Y',
    refund_fee: yuan(refundedFen(trade)),
    gmt_refund_pay: gmt8(done?.at ?? now),
    buyer_user_id: trade.buyerId,
  }
}
