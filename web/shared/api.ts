/** The one way the pages talk to the API: same origin, JSON in and out, problems as errors. */

export type Money = { amount: number; currency: string }

/** An answer that was not 2xx: a problem+json body (`code`), an OAuth error (`error`), or none. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly body: Record<string, unknown> = {},
    readonly headers: Headers = new Headers(),
  ) {
    super(`${status} ${code}: ${detail}`)
  }

  /** Attempts left in a quota the answer reports (`RateLimit: "login:phone";r=7;t=512`). */
  attemptsLeft(policy: string): number | null {
    const quotas = this.headers.get('ratelimit') ?? ''
    const found = quotas.split(',').find((q) => q.trim().startsWith(`${JSON.stringify(policy)};`))
    const left = found && /;r=(\d+)/.exec(found)
    return left ? Number(left[1]) : null
  }

  /** Seconds to wait before trying again (`Retry-After`), when the answer says. */
  retryAfter(): number | null {
    const seconds = Number(this.headers.get('retry-after'))
    return Number.isInteger(seconds) && seconds > 0 ? seconds : null
  }
}

export type RequestOptions = {
  method?: string
  body?: unknown
  token?: string | null
  idempotencyKey?: string
  signal?: AbortSignal
  /** Form-encode the body (the OAuth endpoints take forms, as device SDKs send them). */
  form?: boolean
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey
  let body: string | undefined
  if (opts.body !== undefined && opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(opts.body as Record<string, string>).toString()
  } else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  let res: Response
  try {
    res = await fetch(path, { method: opts.method ?? 'GET', headers, body, signal: opts.signal })
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    throw new ApiProblem(0, 'network', 'The server could not be reached')
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let parsed: any
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  if (res.ok) return parsed as T
  const code = parsed?.code ?? parsed?.error ?? `http_${res.status}`
  const detail = parsed?.detail ?? parsed?.error_description ?? res.statusText
  throw new ApiProblem(res.status, code, detail, parsed ?? {}, res.headers)
}

/** A fresh key per user action; a retry of the same action reuses it (see API.md, Idempotency). */
export function idempotencyKey(): string {
  return crypto.randomUUID()
}
