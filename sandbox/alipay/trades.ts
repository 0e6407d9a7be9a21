// The sandbox's book of trades, in memory: what Alipay keeps on its side of 当面付.
import { randomBytes, randomInt } from 'node:crypto'

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED' | 'TRADE_FINISHED'

export type Refund = { outRequestNo: string; fen: number; at: number }

export type Trade = {
  outTradeNo: string
  tradeNo: string
  subject: string
  totalAmount: string
  fen: number
  notifyUrl: string | undefined
  qrToken: string
  createdAt: number
  expiresAt: number
  /** Real Alipay creates the trade only when the buyer scans: before that, query says NOT_EXIST. */
  scanned: boolean
  /** Closed before anyone scanned it (alipay.trade.close answered TRADE_NOT_EXIST). */
  closedUnscanned: boolean
  status: TradeStatus
  paidAt: number | null
  buyerId: string
  buyerLogonId: string
  refunds: Refund[]
  notifies: { at: number; tradeStatus: string; answer: string }[]
}

const DAY = 24 * 3600_000

export class TradeBook {
  private readonly byOutTradeNo = new Map<string, Trade>()
  private readonly byToken = new Map<string, Trade>()

  create(input: {
    outTradeNo: string
    subject: string
    totalAmount: string
    fen: number
    notifyUrl: string | undefined
    timeoutMs: number
    now: number
  }): Trade {
    const trade: Trade = {
      ...input,
      tradeNo: tradeNo(input.now),
      qrToken: randomBytes(9).toString('base64url'),
      createdAt: input.now,
      expiresAt: input.now + input.timeoutMs,
      scanned: false,
      closedUnscanned: false,
      status: 'WAIT_BUYER_PAY',
      paidAt: null,
      buyerId: `2088${String(randomInt(1e11)).padStart(12, '0')}`,
      buyerLogonId: `138****${String(randomInt(1e4)).padStart(4, '0')}`,
      refunds: [],
      notifies: [],
    }
    this.byOutTradeNo.set(trade.outTradeNo, trade)
    this.byToken.set(trade.qrToken, trade)
    this.prune(input.now)
    return trade
  }

  find(outTradeNo: string, now: number): Trade | undefined {
    return this.expire(this.byOutTradeNo.get(outTradeNo), now)
  }

  byQrToken(token: string, now: number): Trade | undefined {
    return this.expire(this.byToken.get(token), now)
  }

  recent(now: number, limit = 20): Trade[] {
    return [...this.byOutTradeNo.values()]
      .map((t) => this.expire(t, now) as Trade)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit)
  }

  /** An unpaid trade past its timeout is closed, as the gateway does on its own. */
  private expire(trade: Trade | undefined, now: number): Trade | undefined {
    if (trade && trade.status === 'WAIT_BUYER_PAY' && now >= trade.expiresAt) {
      trade.status = 'TRADE_CLOSED'
    }
    return trade
  }

  /** A sandbox that runs for days forgets trades older than a day. */
  private prune(now: number) {
    for (const trade of this.byOutTradeNo.values()) {
      if (now - trade.createdAt < DAY) break
      this.byOutTradeNo.delete(trade.outTradeNo)
      this.byToken.delete(trade.qrToken)
    }
  }
}

export function refundedFen(trade: Trade): number {
  return trade.refunds.reduce((sum, r) => sum + r.fen, 0)
}

/** Alipay trade numbers: the date in GMT+8, then digits (28 in all). */
function tradeNo(now: number): string {
  const day = new Date(now + 8 * 3600_000).toISOString().slice(0, 10).replaceAll('-', '')
  return `${day}2200${String(randomInt(1e9)).padStart(10, '0')}${String(randomInt(1e6)).padStart(6, '0')}`
}

/** `timeout_express`: 1m to 15d as `<n>m|h|d`, or `1c` (until midnight; taken as a day here). */
export function timeoutMs(text: string | undefined): number | null {
  if (text === undefined) return 2 * 3600_000
  if (text === '1c') return DAY
  const m = /^([1-9]\d*)([mhd])$/.exec(text)
  if (!m) return null
  const ms = Number(m[1]) * { m: 60_000, h: 3600_000, d: DAY }[m[2] as 'm' | 'h' | 'd']
  return ms >= 60_000 && ms <= 15 * DAY ? ms : null
}

export function yuan(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`
}

/** Alipay's Price type: yuan with at most two decimals, 0.01 to 100000000. */
export function fenOf(text: unknown): number | null {
  if (typeof text !== 'string' && typeof text !== 'number') return null
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(String(text))
  if (!m) return null
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
  return fen >= 1 && fen <= 100_000_000_00 ? fen : null
}

/** `yyyy-MM-dd HH:mm:ss` in GMT+8, as every time the gateway writes. */
export function gmt8(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')
}
