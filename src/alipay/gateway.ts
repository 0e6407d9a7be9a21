import { ApiError } from '../http/errors'
import type { AlipayConfig } from './config'
import {
  alipayTimestamp,
  requestSigningString,
  responseSignatureCandidates,
  signedResponseText,
} from './protocol'
import { importPrivateKey, importPublicKey, Rsa2KeyError, signRsa2, verifyRsa2 } from './rsa2'

export type AlipayMethod =
  | 'alipay.trade.precreate'
  | 'alipay.trade.query'
  | 'alipay.trade.close'
  | 'alipay.trade.refund'

/** An answer whose signature checked out: `code` 10000 is success, anything else a refusal. */
export type AlipayAnswer = {
  code: string
  msg: string
  sub_code?: string
  sub_msg?: string
  [field: string]: unknown
}

/**
 * The gateway could not be trusted to have answered: no connection, a timeout, an HTTP error, a
 * body without the response object, or a signature that does not verify. The call may or may
 * not have happened at Alipay; every caller retries with the same out_trade_no / out_request_no.
 */
export class AlipayGatewayError extends Error {}

export function isSuccess(answer: AlipayAnswer): boolean {
  return answer.code === '10000'
}

/**
 * One call to gateway.do: the common parameters (app_id, method, format=JSON, charset=utf-8,
 * sign_type=RSA2, timestamp in GMT+8, version=1.0, notify_url when given, biz_content) signed
 * with the app key and posted form-encoded; the answer is verified over the raw text of its
 * `<method>_response` object with Alipay's public key, and what was signed is what is returned.
 */
export async function callAlipay(
  config: AlipayConfig,
  method: AlipayMethod,
  bizContent: Record<string, string>,
  opts: { notify?: boolean; now: number },
): Promise<AlipayAnswer> {
  const [privateKey, publicKey] = await keys(config)
  const params: Record<string, string> = {
    app_id: config.appId,
    method,
    format: 'JSON',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: alipayTimestamp(opts.now),
    version: '1.0',
    ...(opts.notify ? { notify_url: config.notifyUrl } : {}),
    biz_content: JSON.stringify(bizContent),
  }
  params.sign = await signRsa2(privateKey, requestSigningString(params))

  let raw: string
  try {
    const res = await fetch(config.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(config.timeoutMs),
    })
    raw = await res.text()
    if (!res.ok) throw new AlipayGatewayError(`${method}: HTTP ${res.status}`)
  } catch (err) {
    if (err instanceof AlipayGatewayError) throw err
    throw new AlipayGatewayError(`${method}: ${(err as Error).message}`)
  }
  const signed = signedResponseText(raw, method)
  if (!signed) throw new AlipayGatewayError(`${method}: no ${method} response in the answer`)
  if (!signed.sign || !(await verifiesAny(publicKey, signed.text, signed.sign))) {
    throw new AlipayGatewayError(`${method}: the answer's signature does not verify`)
  }
  const answer = JSON.parse(signed.text) as AlipayAnswer
  if (typeof answer.code !== 'string') throw new AlipayGatewayError(`${method}: answer has no code`)
  return answer
}

async function verifiesAny(key: CryptoKey, text: string, sign: string): Promise<boolean> {
  for (const candidate of responseSignatureCandidates(text)) {
    if (await verifyRsa2(key, candidate, sign)) return true
  }
  return false
}

/** Keys that do not import are a configuration error: 503 like missing ones, and logged. */
export async function keys(config: AlipayConfig): Promise<[CryptoKey, CryptoKey]> {
  try {
    return await Promise.all([
      importPrivateKey(config.appPrivateKey),
      importPublicKey(config.alipayPublicKey),
    ])
  } catch (err) {
    if (!(err instanceof Rsa2KeyError)) throw err
    console.error(JSON.stringify({ event: 'alipay_bad_key', error: err.message }))
    throw new ApiError('provider_unavailable', 'Alipay is not available on this server')
  }
}

/** A refusal or a gateway failure, as the 502 a client sees. */
export function providerError(detail: string): ApiError {
  return new ApiError('provider_error', detail)
}
