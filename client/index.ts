/**
 * The typed client for TV and phone apps: hono/client's `hc` over the Worker's exported route
 * types. Only types come from src/ (AppType); the runtime is hono/client alone
 * (scripts/build-client.mjs refuses a bundle holding any server code).
 */
import { hc } from 'hono/client'
import type { AppType } from '../src/app'

export type { AppType }

export type ClientOptions = {
  /** A bearer token, or a function giving the current one (it is asked before every request). */
  token?: string | null | (() => string | null | undefined | Promise<string | null | undefined>)
  /** The language of error titles and details (zh-CN by default on the server). */
  language?: 'zh-CN' | 'en'
  /** Another fetch (tests, a TV SDK's own): the global one by default. */
  fetch?: typeof fetch
}

/** `createClient('https://api.example.com', { token })`, then `client.v1.home.$get()`. */
export function createClient(baseUrl: string, options: ClientOptions = {}) {
  const { token, language } = options
  return hc<AppType>(baseUrl.replace(/\/+$/, ''), {
    fetch: options.fetch,
    headers: async () => {
      const headers: Record<string, string> = {}
      const value = typeof token === 'function' ? await token() : token
      if (value) headers.authorization = `Bearer ${value}`
      if (language) headers['accept-language'] = language
      return headers
    },
  })
}

export type Client = ReturnType<typeof createClient>

/** A non-2xx answer: the problem+json body (or an OAuth error) with its stable `code`. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string | undefined,
    readonly body: Record<string, unknown>,
  ) {
    super(`${status} ${code}: ${detail ?? title}`)
    this.name = 'ApiProblem'
  }
}

type Answer = { ok: boolean; status: number; json(): Promise<unknown> }
type OkBody<R> = R extends { ok: true; json(): Promise<infer B> } ? B : never

/**
 * The body of a 2xx answer, typed by the route; anything else throws ApiProblem:
 * `const home = await unwrap(client.v1.home.$get())`.
 */
export async function unwrap<R extends Answer>(answer: R | Promise<R>): Promise<OkBody<R>> {
  const res = await answer
  const body = res.status === 204 ? undefined : await res.json().catch(() => undefined)
  if (res.ok) return body as OkBody<R>
  const problem = (body ?? {}) as Record<string, unknown>
  const code = String(problem.code ?? problem.error ?? `http_${res.status}`)
  const title = String(problem.title ?? code)
  const detail = (problem.detail ?? problem.error_description) as string | undefined
  throw new ApiProblem(res.status, code, title, detail, problem)
}
