// The buyer's side: scanning a QR code, paying in "the Alipay app", and the signed asynchronous
// notify Alipay then sends to the merchant's notify_url (retried until it answers `success`).
import { randomBytes } from 'node:crypto'
import type { GatewayKeys } from './gateway'
import { notifyContent, sign } from './signing'
import { gmt8, type Trade, type TradeBook, yuan } from './trades'

export type NotifyMode = 'now' | 'late' | 'twice' | 'none'

export type SignedNotify = { url: string | undefined; fields: Record<string, string>; body: string }

export class BuyerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Finds the trade a scanned `qr_code` (or a bare out_trade_no) stands for. */
export function tradeFor(
  book: TradeBook,
  input: { qr_code?: unknown; out_trade_no?: unknown },
  now: number,
): Trade {
  const token =
    typeof input.qr_code === 'string' ? /\/qr\/([\w-]+)\/?$/.exec(input.qr_code)?.[1] : undefined
  const trade = token
    ? book.byQrToken(token, now)
    : typeof input.out_trade_no === 'string'
      ? book.find(input.out_trade_no, now)
      : undefined
  if (!trade) throw new BuyerError(404, 'TRADE_NOT_EXIST', 'No trade for that qr_code')
  return trade
}

/** The buyer opened the QR code in the app: the trade now exists at Alipay (WAIT_BUYER_PAY). */
export function scan(trade: Trade): Trade {
  if (trade.status === 'TRADE_CLOSED' && trade.paidAt === null) {
    throw new BuyerError(409, 'TRADE_CLOSED', 'This trade is closed (timed out or closed)')
  }
  trade.scanned = true
  return trade
}

export function pay(trade: Trade, now: number): Trade {
  scan(trade)
  if (trade.paidAt !== null) throw new BuyerError(409, 'TRADE_HAS_SUCCESS', 'Already paid')
  trade.status = 'TRADE_SUCCESS'
  trade.paidAt = now
  return trade
}

/**
 * A trade_status_sync notify as Alipay sends it, signed over every field but sign and sign_type.
 * `overrides` replace or add fields before signing (a test forging a wrong amount or an unknown
 * out_trade_no still gets Alipay's valid signature, as a compromised or buggy peer would send).
 */
export function signedNotify(
  keys: GatewayKeys,
  trade: Trade,
  now: number,
  overrides: Record<string, string> = {},
): SignedNotify {
  const paid = trade.paidAt !== null
  const fields: Record<string, string> = {
    notify_time: gmt8(now),
    notify_type: 'trade_status_sync',
    notify_id: randomBytes(16).toString('hex'),
    app_id: keys.appId,
    auth_app_id: keys.appId,
    charset: 'utf-8',
    version: '1.0',
    sign_type: 'RSA2',
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_id: trade.buyerId,
    buyer_logon_id: trade.buyerLogonId,
    seller_id: '2088000000000001',
    trade_status: trade.status,
    total_amount: yuan(trade.fen),
    receipt_amount: paid ? yuan(trade.fen) : '0.00',
    invoice_amount: paid ? yuan(trade.fen) : '0.00',
    buyer_pay_amount: paid ? yuan(trade.fen) : '0.00',
    point_amount: '0.00',
    subject: trade.subject,
    gmt_create: gmt8(trade.createdAt),
    ...(paid ? { gmt_payment: gmt8(trade.paidAt as number) } : {}),
    ...(paid
      ? {
          fund_bill_list: JSON.stringify([
            { amount: yuan(trade.fen), fundChannel: 'ALIPAYACCOUNT' },
          ]),
        }
      : {}),
    ...overrides,
  }
  fields.sign = sign(keys.alipayPrivateKey, notifyContent(fields))
  return { url: trade.notifyUrl, fields, body: new URLSearchParams(fields).toString() }
}

const RETRY_MS = [2_000, 5_000, 15_000]

/**
 * Posts the notify to notify_url like Alipay: anything but the exact body `success` is retried
 * (Alipay retries for about a day; the sandbox a few times within seconds). `twice` posts it a
 * second time after the first was accepted; `late` waits `delayMs` first.
 */
export function deliver(
  trade: Trade,
  notify: SignedNotify,
  mode: NotifyMode,
  delayMs: number,
  log: (line: string) => void,
) {
  if (mode === 'none' || !notify.url) return
  const url = notify.url
  const post = async (attempt: number): Promise<void> => {
    let answer: string
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: notify.body,
        signal: AbortSignal.timeout(10_000),
      })
      answer = (await res.text()).trim()
    } catch (err) {
      answer = `unreachable: ${(err as Error).message}`
    }
    trade.notifies.push({ at: Date.now(), tradeStatus: notify.fields.trade_status, answer })
    log(`notify ${trade.outTradeNo} ${notify.fields.trade_status} → ${url}: ${answer}`)
    if (answer === 'success') return
    const wait = RETRY_MS[attempt]
    if (wait !== undefined) await sleep(wait).then(() => post(attempt + 1))
  }
  const run = async () => {
    await sleep(mode === 'late' ? delayMs : 0)
    await post(0)
    if (mode === 'twice') await sleep(500).then(() => post(RETRY_MS.length))
  }
  run().catch((err) => log(`notify ${trade.outTradeNo} failed: ${(err as Error).message}`))
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
