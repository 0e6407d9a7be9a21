import { SELF } from 'cloudflare:test'
import { hc } from 'hono/client'
import { describe, expect, it } from 'vitest'
import { ApiProblem, createClient, unwrap } from '../../client'
import type { AppType } from '../../src/app'
import { createTestUser } from '../helpers/principals'

// TV and phone apps written in TypeScript get a typed client from the exported route types.
const client = hc<AppType>('https://tvpay.test', {
  fetch: (input: RequestInfo | URL, init?: RequestInit) => SELF.fetch(input, init),
})

describe('typed client (hono/client)', () => {
  it('calls /healthz with typed paths and typed JSON', async () => {
    const res = await client.healthz.$get()
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.status).toBe('ok')
  })

  it('reaches the JWKS through the typed client', async () => {
    const res = await client['.well-known']['jwks.json'].$get()
    const body = await res.json()
    expect(body.keys.length).toBeGreaterThan(0)
  })
})

describe('createClient and unwrap (client/, the package TV and phone apps use)', () => {
  const fetchSelf = (input: RequestInfo | URL, init?: RequestInit) => SELF.fetch(input, init)

  it('sends the token it asks for before every request and returns the typed body', async () => {
    const user = await createTestUser()
    let asked = 0
    const token = () => {
      asked++
      return user.token
    }
    const api = createClient('https://tvpay.test/', { token, fetch: fetchSelf })
    const me = await unwrap(api.v1.me.$get())
    expect(me.id).toBe(user.id)
    expect(me.has_payment_pin).toBe(false)
    await unwrap(api.v1.me.$get())
    expect(asked).toBe(2)
  })

  it('throws an ApiProblem with the stable code, its text in the language asked for', async () => {
    for (const [language, title] of [
      ['zh-CN', '需要登录'],
      ['en', 'Sign-in required'],
    ] as const) {
      const api = createClient('https://tvpay.test', { language, fetch: fetchSelf })
      const err = await unwrap(api.v1.me.$get()).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ApiProblem)
      const problem = err as ApiProblem
      expect([problem.status, problem.code, problem.title]).toEqual([401, 'unauthorized', title])
    }
  })
})
