import { OpenAPIHono } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../src/env'
import { corsFromConfig, parseOrigins } from '../../src/http/cors'
import { join, closeAll } from '../channel/helpers'
import { call, expectProblem } from '../helpers/http'
import { createTestUser } from '../helpers/principals'

// vitest.config.ts sets CORS_ORIGINS to these two (wrangler.toml leaves it empty).
const TV = 'https://tv.partner.test'
const PHONE = 'https://m.partner.test'

function preflight(origin: string, method = 'POST', headers = 'authorization, idempotency-key') {
  return call('OPTIONS', '/v1/payments', {
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': headers,
    },
  })
}

describe('CORS for the configured TV and phone origins', () => {
  it('answers a preflight from a configured origin with the methods and headers it may use', async () => {
    const res = await preflight(TV)
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(TV)
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
    const allowed = res.headers.get('access-control-allow-headers')?.split(',') ?? []
    for (const h of ['authorization', 'idempotency-key', 'content-type', 'accept-language']) {
      expect(allowed).toContain(h)
    }
    expect(res.headers.get('access-control-max-age')).toBe('600')
    expect(res.headers.get('vary')).toContain('Origin')
  })

  it('gives an unknown origin no Access-Control-Allow-Origin, preflight or not', async () => {
    const pre = await preflight('https://evil.test')
    expect(pre.headers.get('access-control-allow-origin')).toBeNull()
    const get = await call('GET', '/healthz', { headers: { origin: 'https://evil.test' } })
    expect(get.status).toBe(200)
    expect(get.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('exposes Retry-After, Idempotency-Replayed, x-d1-bookmark, x-request-id and ETag', async () => {
    const res = await call('GET', '/healthz', { headers: { origin: PHONE } })
    expect(res.headers.get('access-control-allow-origin')).toBe(PHONE)
    expect(res.headers.get('vary')).toContain('Origin')
    const exposed = res.headers.get('access-control-expose-headers')?.split(',') ?? []
    for (const h of [
      'retry-after',
      'idempotency-replayed',
      'x-d1-bookmark',
      'x-request-id',
      'etag',
    ]) {
      expect(exposed).toContain(h)
    }
  })

  it('keeps the CORS headers on problem+json answers, so a browser can read the error', async () => {
    const unauthorized = await call('GET', '/v1/me', { headers: { origin: TV } })
    expectProblem(unauthorized, 401, 'unauthorized')
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(TV)
    const missing = await call('GET', '/v1/nothing-here', { headers: { origin: TV } })
    expectProblem(missing, 404, 'not_found')
    expect(missing.headers.get('access-control-allow-origin')).toBe(TV)
  })

  it('still opens the channel WebSocket for a configured origin (a 101 keeps its socket)', async () => {
    const user = await createTestUser()
    const peer = await join(user.token, { origin: TV })
    await closeAll(peer)
  })

  it('is closed when CORS_ORIGINS is empty: no CORS headers, preflights fall through to routing', async () => {
    const app = new OpenAPIHono<AppEnv>()
    app.use(corsFromConfig)
    app.post('/v1/payments', (c) => c.json({ ok: true }))
    const env = { CORS_ORIGINS: '' } as Env
    const pre = await app.request(
      '/v1/payments',
      { method: 'OPTIONS', headers: { origin: TV, 'access-control-request-method': 'POST' } },
      env,
    )
    expect(pre.status).toBe(404)
    expect(pre.headers.get('access-control-allow-origin')).toBeNull()
    const post = await app.request('/v1/payments', { method: 'POST', headers: { origin: TV } }, env)
    expect(post.status).toBe(200)
    expect(post.headers.get('access-control-allow-origin')).toBeNull()
    expect(post.headers.get('access-control-expose-headers')).toBeNull()
  })
})

describe('parseOrigins', () => {
  it('keeps exact http(s) origins, separated by spaces or commas, and drops the rest', () => {
    expect(parseOrigins(`${TV}, ${PHONE}  https://TV.partner.test`)).toEqual([TV, PHONE])
    expect(parseOrigins('* null https://x.test/path ftp://x.test x.test')).toEqual([])
    expect(parseOrigins('http://localhost:8700')).toEqual(['http://localhost:8700'])
    expect(parseOrigins(undefined)).toEqual([])
  })
})
