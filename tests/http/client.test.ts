import { SELF } from 'cloudflare:test'
import { hc } from 'hono/client'
import { describe, expect, it } from 'vitest'
import type { AppType } from '../../src/app'

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
