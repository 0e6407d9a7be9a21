import { describe, expect, it } from 'vitest'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'

describe('health and documents', () => {
  it('GET /healthz answers ok with a request id', async () => {
    const res = await call('GET', '/healthz')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ status: 'ok' })
    expect(res.headers.get('x-request-id')).toMatch(/.{8,}/)
  })

  it('serves an OpenAPI 3.1 document (the /docs page is a static asset: tests/pages)', async () => {
    const res = await call('GET', '/openapi.json')
    expect(res.status).toBe(200)
    expect(res.body.openapi).toBe('3.1.0')
    expect(Object.keys(res.body.paths)).toContain('/healthz')
  })

  it('documents every 4xx and 5xx answer with its schema: problem+json (RFC 6749 JSON on /v1/oauth, text for Alipay)', async () => {
    const doc = (await call('GET', '/openapi.json')).body
    const bare: string[] = []
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
          // The OAuth endpoints answer RFC 6749 `{ error, error_description }` JSON instead, and
          // /healthz its readiness document (API.md: 503 `{ status: 'degraded', checks }`).
          // Alipay's notify reads the text `fail`.
          const type =
            path.startsWith('/v1/oauth/') || path === '/healthz'
              ? 'application/json'
              : path === '/v1/providers/alipay/notify'
                ? 'text/plain'
                : 'application/problem+json'
          if (Number(status) >= 400 && !response.content?.[type]?.schema) {
            bare.push(`${method.toUpperCase()} ${path} ${status}`)
          }
        }
      }
    }
    expect(bare).toEqual([])
  })

  it('publishes only public keys in the JWKS', async () => {
    const res = await call('GET', '/.well-known/jwks.json')
    expect(res.status).toBe(200)
    expect(res.body.keys.length).toBeGreaterThanOrEqual(1)
    for (const k of res.body.keys) {
      expect(k.kid).toBeTruthy()
      expect(k.alg).toBe('ES256')
      expect(k).not.toHaveProperty('d')
    }
  })
})

describe('errors are problem+json', () => {
  it('a body in a media type the operation does not take is 415 unsupported_media_type', async () => {
    const res = await call('POST', '/v1/auth/login', {
      rawBody: '{"phone":"13800138000","password":"whatever"}',
      headers: { 'content-type': 'text/plain' },
    })
    expectProblem(res, 415, 'unsupported_media_type')
    expect(res.body.detail).toMatch(/application\/json/)
  })

  it('unknown path is 404 not_found with a request id', async () => {
    const body = expectProblem(await call('GET', '/nope'), 404, 'not_found')
    expect(body.request_id).toBeTruthy()
  })

  it('known path with the wrong method is 405 with Allow', async () => {
    const res = await call('DELETE', '/healthz')
    expectProblem(res, 405, 'method_not_allowed')
    expect(res.headers.get('allow')).toContain('GET')
  })

  it('bodies over the limit are 413', async () => {
    const res = await call('POST', '/healthz', {
      rawBody: 'x'.repeat(40 * 1024),
      headers: { 'content-type': 'application/json' },
    })
    expectProblem(res, 413, 'payload_too_large')
  })

  it('on the OAuth endpoints a body over the limit is 413 in RFC 6749 form, as documented', async () => {
    for (const path of ['/v1/oauth/token', '/v1/oauth/device_authorization']) {
      const res = await call('POST', path, {
        rawBody: `client_id=${'x'.repeat(40 * 1024)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
      expect(res.status).toBe(413)
      expect(res.headers.get('content-type')).toBe('application/json')
      expect(res.body).toMatchObject({ error: 'invalid_request' })
    }
  })
})

describe('admin auth', () => {
  it('rejects a missing or wrong admin token', async () => {
    const adminPost = '/v1/admin/categories'
    expectProblem(await call('POST', adminPost, { body: {} }), 401, 'unauthorized')
    expectProblem(
      await call('POST', adminPost, {
        body: {},
        headers: { authorization: 'Bearer wrong-token-wrong-token' },
      }),
      401,
      'unauthorized',
    )
    const ok = await call('POST', adminPost, { body: {}, headers: ADMIN })
    expect(ok.status).not.toBe(401)
    // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
    const lower = ADMIN.authorization.replace('Bearer', 'bearer')
    expectProblem(
      await call('POST', adminPost, { body: {}, headers: { authorization: lower } }),
      400,
      'validation_failed',
    )
    const upperToken = `Bearer ${ADMIN.authorization.slice(7).toUpperCase()}`
    expectProblem(
      await call('POST', adminPost, { body: {}, headers: { authorization: upperToken } }),
      401,
      'unauthorized',
    )
  })
})

describe('principal tokens', () => {
  it('helpers mint tokens the middleware accepts', async () => {
    const user = await createTestUser()
    const device = await createTestDevice(user.id)
    expect(user.token.split('.')).toHaveLength(3)
    expect(device.token.split('.')).toHaveLength(3)
  })
})
