import { env } from 'cloudflare:test'
import type { AlipayTestContext } from '../../sandbox/alipay/test-setup'

export const alipayTest = JSON.parse(env.ALIPAY_TEST) as AlipayTestContext

/** Calls one of the sandbox's buyer or test controls (/sandbox/pay, /sandbox/faults, ...). */
export async function sandbox<T = any>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${env.ALIPAY_SANDBOX_URL}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const parsed = await res.json()
  if (!res.ok) throw Object.assign(new Error(`sandbox ${path}: ${res.status}`), { body: parsed })
  return parsed as T
}

/** The buyer scans the QR code and pays; the notify is returned, not posted (the test posts it). */
export function buyerPays(qrCode: string): Promise<{ trade_no: string; notify: { body: string } }> {
  return sandbox('/sandbox/pay', { qr_code: qrCode, notify: 'none' })
}

export function fault(
  outTradeNo: string,
  fault: string,
  opts: { method?: string; times?: number } = {},
) {
  return sandbox('/sandbox/faults', { out_trade_no: outTradeNo, fault, ...opts })
}
