/**
 * RSA2 as Alipay uses it: RSASSA-PKCS1-v1_5 with SHA-256 over the UTF-8 bytes of a text,
 * signatures in standard base64. WebCrypto only, so it runs on Workers (the official alipay-sdk
 * needs node:crypto, urllib and node:fs).
 *
 * Keys come as PEM or as the bare base64 body Alipay's key tool prints. A private key may be
 * PKCS#8 (the tool's "Java" format, and the contract's) or PKCS#1 (its "non-Java" format,
 * `BEGIN RSA PRIVATE KEY`), which is wrapped into PKCS#8 because WebCrypto imports only that.
 * A public key is SPKI (`BEGIN PUBLIC KEY`).
 */
const RSA2 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const

/** A key that cannot be read: a configuration error, never a request's fault. */
export class Rsa2KeyError extends Error {}

const imported = new Map<string, Promise<CryptoKey>>()

/** Imported once per isolate and key text. */
export function importPrivateKey(text: string): Promise<CryptoKey> {
  return cached(`private:${text}`, async () => {
    const { der, label } = decodeKey(text)
    const pkcs8 = label.includes('RSA PRIVATE KEY') || isPkcs1(der) ? wrapPkcs1(der) : der
    return crypto.subtle.importKey('pkcs8', pkcs8, RSA2, false, ['sign'])
  })
}

export function importPublicKey(text: string): Promise<CryptoKey> {
  return cached(`public:${text}`, async () => {
    const { der } = decodeKey(text)
    return crypto.subtle.importKey('spki', der, RSA2, false, ['verify'])
  })
}

function cached(id: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let key = imported.get(id)
  if (!key) {
    key = load().catch((err) => {
      imported.delete(id)
      if (err instanceof Rsa2KeyError) throw err
      throw new Rsa2KeyError(`not an RSA key WebCrypto can import: ${String(err)}`)
    })
    if (imported.size > 16) imported.clear()
    imported.set(id, key)
  }
  return key
}

/** Base64 signature of `content` (UTF-8). */
export async function signRsa2(key: CryptoKey, content: string): Promise<string> {
  const signature = await crypto.subtle.sign(RSA2, key, new TextEncoder().encode(content))
  return toBase64(new Uint8Array(signature))
}

/** False for a wrong signature and for one that is not base64 at all. */
export async function verifyRsa2(
  key: CryptoKey,
  content: string,
  signature: string,
): Promise<boolean> {
  const bytes = fromBase64(signature)
  if (!bytes || bytes.length === 0) return false
  return crypto.subtle.verify(RSA2, key, bytes, new TextEncoder().encode(content))
}

function decodeKey(text: string): { der: Uint8Array; label: string } {
  const label = /-----BEGIN ([A-Z ]+)-----/.exec(text)?.[1] ?? ''
  const body = text.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '')
  const der = fromBase64(body)
  if (!der || der.length < 64 || der[0] !== 0x30) {
    throw new Rsa2KeyError('not a PEM or base64 DER RSA key')
  }
  return { der, label }
}

/**
 * PKCS#8 and PKCS#1 private keys both open with SEQUENCE { INTEGER 0, ... }; then PKCS#8 has the
 * AlgorithmIdentifier SEQUENCE (0x30) where PKCS#1 has the modulus INTEGER (0x02).
 */
function isPkcs1(der: Uint8Array): boolean {
  const start = der[1] < 0x80 ? 2 : 2 + (der[1] & 0x7f)
  const version = der[start] === 0x02 && der[start + 1] === 0x01 && der[start + 2] === 0x00
  return version && der[start + 3] === 0x02
}

// INTEGER 0, then AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }.
const PKCS8_RSA_PREFIX = [
  0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
  0x05, 0x00,
]

/** PrivateKeyInfo ::= SEQUENCE { version, algorithm, privateKey OCTET STRING (the PKCS#1 key) } */
function wrapPkcs1(pkcs1: Uint8Array): Uint8Array {
  const octets = [0x04, ...derLength(pkcs1.length)]
  const inner = PKCS8_RSA_PREFIX.length + octets.length + pkcs1.length
  const head = [0x30, ...derLength(inner), ...PKCS8_RSA_PREFIX, ...octets]
  const out = new Uint8Array(head.length + pkcs1.length)
  out.set(head)
  out.set(pkcs1, head.length)
  return out
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n]
  const bytes: number[] = []
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff)
  return [0x80 | bytes.length, ...bytes]
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
  } catch {
    return null
  }
}
