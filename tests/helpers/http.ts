import { SELF } from 'cloudflare:test'

export const ADMIN = { authorization: 'Bearer test-admin-token-0123456789abcdef' }

export type JsonResponse<T = any> = { status: number; headers: Headers; body: T; text: string }

/** Calls the Worker over its real fetch handler and parses JSON (or problem+json) bodies. */
export async function call<T = any>(
  method: string,
  path: string,
  opts: {
    body?: unknown
    rawBody?: BodyInit
    headers?: Record<string, string>
    token?: string
  } = {},
): Promise<JsonResponse<T>> {
  // English unless a test asks otherwise: the suite reads English details (zh-CN, the default
  // for a request without Accept-Language, is covered by tests/http/languages.test.ts).
  const headers: Record<string, string> = { 'accept-language': 'en', ...opts.headers }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  let body = opts.rawBody
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['content-type'] ??= 'application/json'
  }
  const res = await SELF.fetch(`https://tvpay.test${path}`, { method, headers, body })
  const text = await res.text()
  let parsed: any = undefined
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  return { status: res.status, headers: res.headers, body: parsed, text }
}

/** Asserts the RFC 9457 shape and returns the body for further checks. */
export function expectProblem(res: JsonResponse, status: number, code: string) {
  if (res.status !== status || res.body?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${res.text.slice(0, 400)}`)
  }
  if (!res.headers.get('content-type')?.startsWith('application/problem+json')) {
    throw new Error(`expected problem+json, got ${res.headers.get('content-type')}`)
  }
  for (const k of ['type', 'title', 'status', 'code']) {
    if (!(k in res.body)) throw new Error(`problem body lacks ${k}: ${res.text}`)
  }
  return res.body
}
