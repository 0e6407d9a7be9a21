// A local Alipay: gateway.do for the API (RSA2 checked and signed, both ways), a buyer who scans
// and pays, signed notifies to notify_url, and a few controls for tests (faults, forged notifies,
// trade state). State lives in memory; restart it and it forgets.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BuyerError, deliver, type NotifyMode, pay, scan, signedNotify, tradeFor } from './buyer'
import { type GatewayKeys, handleGateway, signedBody } from './gateway'
import { cashierPage, homePage } from './pages'
import { privateKeyFrom, publicKeyFrom } from './signing'
import { refundedFen, TradeBook, yuan } from './trades'

export type SandboxOptions = {
  appId: string
  /** The app's public key (what a merchant uploads to Alipay): checks request signatures. */
  appPublicKey: string
  /** The sandbox's own private key: signs answers and notifies (its public key is ALIPAY_PUBLIC_KEY). */
  alipayPrivateKey: string
  /** Where browsers reach the sandbox (qr_code links); default http://127.0.0.1:<port>. */
  publicUrl?: string
  log?: (line: string) => void
}

/** Ways a test makes the gateway misbehave for one out_trade_no, `times` calls in a row. */
const FAULTS = ['http_500', 'drop', 'bad_signature', 'system_error', 'tampered'] as const
type Fault = (typeof FAULTS)[number]
type FaultRule = { fault: Fault; method?: string; times: number }

export type AlipaySandbox = {
  server: Server
  listen(port: number, host?: string): Promise<string>
  close(): Promise<void>
}

export function createAlipaySandbox(options: SandboxOptions): AlipaySandbox {
  const keys: GatewayKeys = {
    appId: options.appId,
    appPublicKey: publicKeyFrom(options.appPublicKey),
    alipayPrivateKey: privateKeyFrom(options.alipayPrivateKey),
  }
  const log = options.log ?? (() => {})
  const book = new TradeBook()
  const faults = new Map<string, FaultRule>()
  let origin = options.publicUrl ?? ''

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sandbox')
    const now = Date.now()
    const path = url.pathname
    if (req.method === 'POST' && path === '/gateway.do') return gateway(req, res, url, now)
    if (req.method === 'GET' && path === '/') return html(res, 200, homePage(book.recent(now)))
    if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' })
    if (req.method === 'GET' && path === '/scan') {
      const trade = tradeFor(book, { qr_code: url.searchParams.get('qr_code') ?? '' }, now)
      res.writeHead(303, { location: `/qr/${trade.qrToken}` }).end()
      return
    }
    const qr = /^\/qr\/([\w-]+)$/.exec(path)
    if (req.method === 'GET' && qr) {
      const trade = tradeFor(book, { qr_code: `/qr/${qr[1]}` }, now)
      let message = ''
      try {
        scan(trade)
      } catch (err) {
        message = (err as Error).message
      }
      return html(res, 200, cashierPage(trade, message))
    }
    if (req.method === 'POST' && path === '/sandbox/scan') {
      const input = await readInput(req)
      return json(res, 200, view(scan(tradeFor(book, input, now))))
    }
    if (req.method === 'POST' && path === '/sandbox/pay') return buyerPays(req, res, now)
    if (req.method === 'POST' && path === '/sandbox/notify') {
      const input = await readInput(req)
      const trade = tradeFor(book, input, now)
      const overrides = (input.overrides ?? {}) as Record<string, string>
      const notify = signedNotify(keys, trade, now, overrides)
      if (input.deliver === true) deliver(trade, notify, 'now', 0, log)
      return json(res, 200, { url: notify.url, fields: notify.fields, body: notify.body })
    }
    const trade = /^\/sandbox\/trades\/([\w-]+)$/.exec(path)
    if (req.method === 'GET' && trade) {
      const found = book.find(trade[1], now)
      return found ? json(res, 200, view(found)) : json(res, 404, { error: 'TRADE_NOT_EXIST' })
    }
    if (req.method === 'POST' && path === '/sandbox/faults') {
      const input = await readInput(req)
      const fault = input.fault as Fault
      if (typeof input.out_trade_no !== 'string' || !FAULTS.includes(fault)) {
        return json(res, 400, { error: `out_trade_no and fault (${FAULTS.join(', ')}) needed` })
      }
      const method = typeof input.method === 'string' ? input.method : undefined
      faults.set(input.out_trade_no, { fault, method, times: Number(input.times ?? 1) })
      return json(res, 200, { ok: true })
    }
    json(res, 404, { error: 'not found' })
  }

  async function gateway(req: IncomingMessage, res: ServerResponse, url: URL, now: number) {
    // The SDKs put the common parameters in the query and biz_content in the form body; both count.
    const params = new Map(url.searchParams)
    for (const [k, v] of new URLSearchParams(await readBody(req))) params.set(k, v)
    const outTradeNo = outTradeNoOf(params.get('biz_content'))
    const rule = outTradeNo ? faults.get(outTradeNo) : undefined
    const fault = rule && (!rule.method || rule.method === params.get('method')) ? rule : undefined
    if (fault && --fault.times <= 0) faults.delete(outTradeNo as string)
    log(
      `gateway ${params.get('method')} ${outTradeNo ?? ''}${fault ? ` (fault: ${fault.fault})` : ''}`,
    )
    if (fault?.fault === 'drop') return void req.socket.destroy()
    if (fault?.fault === 'http_500') return void res.writeHead(500).end('Internal Server Error')
    const { root, answer } = handleGateway(keys, book, params, now, origin)
    const body = signedBody(
      keys,
      root,
      fault?.fault === 'system_error'
        ? { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'aop.ACQ.SYSTEM_ERROR' }
        : answer,
    )
    const sent =
      fault?.fault === 'bad_signature'
        ? body.replace(/"sign":"(.)/, (_, c) => `"sign":"${c === 'A' ? 'B' : 'A'}`)
        : fault?.fault === 'tampered'
          ? body.replace(/"code":"10000"/, '"code":"10000","injected":"x"')
          : body
    res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' }).end(sent)
  }

  async function buyerPays(req: IncomingMessage, res: ServerResponse, now: number) {
    const form = (req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')
    const input = await readInput(req)
    const trade = tradeFor(book, input, now)
    const mode = (
      ['now', 'late', 'twice', 'none'].includes(String(input.notify)) ? input.notify : 'now'
    ) as NotifyMode
    try {
      pay(trade, now)
    } catch (err) {
      if (form && err instanceof BuyerError) return html(res, 409, cashierPage(trade, err.message))
      throw err
    }
    const notify = signedNotify(keys, trade, now)
    const delayMs = input.delay_ms === undefined ? 30_000 : Number(input.delay_ms)
    deliver(trade, notify, mode, delayMs, log)
    log(`buyer paid ${trade.outTradeNo} ¥${yuan(trade.fen)} (notify: ${mode})`)
    if (form) return html(res, 200, cashierPage(trade, `Paid ¥${yuan(trade.fen)}; notify: ${mode}`))
    json(res, 200, { ...view(trade), notify: { url: notify.url, body: notify.body } })
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err) => {
      if (res.headersSent) return
      if (err instanceof BuyerError)
        return json(res, err.status, { error: err.code, message: err.message })
      log(`error: ${(err as Error).stack}`)
      json(res, 500, { error: 'sandbox_error', message: (err as Error).message })
    })
  })

  return {
    server,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo
          origin ||= `http://${host}:${address.port}`
          resolve(`http://${host}:${address.port}`)
        })
      })
    },
    close() {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

function view(trade: ReturnType<TradeBook['recent']>[number]) {
  return {
    out_trade_no: trade.outTradeNo,
    trade_no: trade.tradeNo,
    trade_status: trade.status,
    scanned: trade.scanned,
    total_amount: yuan(trade.fen),
    refunded_amount: yuan(refundedFen(trade)),
    refunds: trade.refunds.map((r) => ({ out_request_no: r.outRequestNo, amount: yuan(r.fen) })),
    notifies: trade.notifies,
    notify_url: trade.notifyUrl ?? null,
  }
}

function outTradeNoOf(bizContent: string | undefined): string | undefined {
  try {
    const value = JSON.parse(bizContent ?? '{}').out_trade_no
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** JSON or form-encoded input for the buyer and test controls. */
async function readInput(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req)
  if ((req.headers['content-type'] ?? '').includes('json')) return text ? JSON.parse(text) : {}
  return Object.fromEntries(new URLSearchParams(text))
}

function json(res: ServerResponse, status: number, value: unknown) {
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' })
  res.end(JSON.stringify(value))
}

function html(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, { 'content-type': 'text/html;charset=utf-8' }).end(text)
}
