// The sandbox's side of RSA2, written apart from src/alipay (node:crypto, not WebCrypto) so that
// every test against the sandbox checks one implementation against another.
import {
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  type KeyObject,
} from 'node:crypto'

/** PEM or the bare base64 body Alipay's key tool prints (PKCS#8 / PKCS#1 private, SPKI public). */
export function privateKeyFrom(text: string): KeyObject {
  if (text.includes('-----BEGIN')) return createPrivateKey(text)
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64')
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  } catch {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' })
  }
}

export function publicKeyFrom(text: string): KeyObject {
  if (text.includes('-----BEGIN')) return createPublicKey(text)
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64')
  return createPublicKey({ key: der, format: 'der', type: 'spki' })
}

export function sign(key: KeyObject, content: string): string {
  return createSign('RSA-SHA256').update(content, 'utf8').sign(key, 'base64')
}

export function verify(key: KeyObject, content: string, signature: string): boolean {
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(key, signature, 'base64')
  } catch {
    return false
  }
}

/**
 * How the gateway checks a request (Alipay's open platform docs, "自行实现签名"): all parameters
 * except `sign`, empty ones left out, sorted by name, `name=value` joined by `&`.
 */
export function requestContent(params: Map<string, string>): string {
  return [...params.entries()]
    .filter(([k, v]) => k !== 'sign' && v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

/** What a notify is signed over: every field except `sign` and `sign_type`, sorted the same way. */
export function notifyContent(fields: Record<string, string>): string {
  return Object.entries(fields)
    .filter(([k]) => k !== 'sign' && k !== 'sign_type')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

/**
 * JSON as the gateway writes it: `/` escaped as `\/` and Chinese left as UTF-8. The signature is
 * over exactly this text, so a client that re-serializes the parsed object cannot verify it.
 */
export function gatewayJson(value: unknown): string {
  return JSON.stringify(value).replaceAll('/', '\\/')
}
