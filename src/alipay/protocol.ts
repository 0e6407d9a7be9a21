/**
 * The texts Alipay's OpenAPI (gateway.do, v1 "common parameters") signs, as its own SDKs build
 * them: alipay-sdk for Node (`sign`, `checkNotifySign`, `getSignStr`) and the Java SDK's
 * AlipaySignature (`getSignContent`, `getSignCheckContentV1`, `extractSignContent`).
 */

export type Params = Record<string, string | undefined>

/**
 * A request's signing string: every parameter but `sign`, empty values dropped, sorted by key
 * (UTF-16 code units, as Java's String sort), `key=value` joined with `&`, values raw (neither
 * URL-encoded nor decoded).
 */
export function requestSigningString(params: Params): string {
  return joinSorted(params, ['sign'], true)
}

/**
 * The notify check's strings: the form fields less `sign` and `sign_type`. The Java SDK's check
 * (rsaCheckV1) keeps empty values and the request rule drops them; Alipay sends none, but when a
 * field is empty both readings are offered (each still needs Alipay's signature).
 */
export function notifySigningStrings(params: Params): string[] {
  const kept = joinSorted(params, ['sign', 'sign_type'], false)
  const dropped = joinSorted(params, ['sign', 'sign_type'], true)
  return kept === dropped ? [kept] : [kept, dropped]
}

function joinSorted(params: Params, excluded: string[], dropEmpty: boolean): string {
  return Object.keys(params)
    .filter((key) => !excluded.includes(key) && params[key] !== undefined)
    .filter((key) => !dropEmpty || params[key] !== '')
    .sort()
    .map((key) => `${key}=${params[key]}`)
    .join('&')
}

/** `alipay.trade.precreate` → `alipay_trade_precreate_response`. */
export function responseKey(method: string): string {
  return `${method.replaceAll('.', '_')}_response`
}

export type SignedText = { text: string; sign: string | undefined }

/**
 * The exact text of the `<method>_response` object inside a raw gateway answer, as Alipay signed
 * it (the Java SDK's extractSignContent): from the `{` after the key to its matching `}`, braces
 * inside strings ignored. Never a re-serialization: Alipay escapes `/` as `\/` and writes Chinese
 * as UTF-8, which JSON.stringify would not reproduce. Null when the key is missing, or when it
 * occurs again after the object (the Java SDK refuses such a body too).
 */
export function signedResponseText(raw: string, method: string): SignedText | null {
  const key = `"${responseKey(method)}"`
  const at = raw.indexOf(key)
  if (at < 0) return null
  let begin = at + key.length
  while (begin < raw.length && /[\s:]/.test(raw[begin])) begin++
  if (raw[begin] !== '{') return null
  const end = matchingBrace(raw, begin)
  if (end < 0 || raw.indexOf(key, end) >= 0) return null
  let sign: unknown
  try {
    sign = (JSON.parse(raw) as { sign?: unknown }).sign
  } catch {
    return null
  }
  return { text: raw.slice(begin, end + 1), sign: typeof sign === 'string' ? sign : undefined }
}

function matchingBrace(raw: string, begin: number): number {
  let depth = 0
  let inString = false
  for (let i = begin; i < raw.length; i++) {
    const c = raw[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '{') depth++
    else if (c === '}' && --depth === 0) return i
  }
  return -1
}

/**
 * The texts to try for a response signature: the raw text, and, when it holds `\/`, the same with
 * plain slashes (the Java SDK retries that way: some gateways sign before escaping).
 */
export function responseSignatureCandidates(text: string): string[] {
  return text.includes('\\/') ? [text, text.replaceAll('\\/', '/')] : [text]
}

/** `timestamp` as the gateway wants it: GMT+8, `yyyy-MM-dd HH:mm:ss`. */
export function alipayTimestamp(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')
}

/** 129900 fen → "1299.00" (yuan, two decimals, as total_amount and refund_amount are sent). */
export function yuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new Error(`not an amount of fen: ${fen}`)
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`
}

/** "1299.00", "1299.5" or "1299" → fen; anything else (signs, exponents, 3 decimals) → null. */
export function fenOf(text: string | undefined): number | null {
  const m = /^(0|[1-9]\d{0,12})(?:\.(\d{1,2}))?$/.exec(text ?? '')
  if (!m) return null
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
}
