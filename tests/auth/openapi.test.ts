import { OpenAPIHono } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import { authRoutes } from '../../src/auth/routes'

describe('auth OpenAPI', () => {
  it('documents every auth and pairing path, OAuth bodies as JSON and form', () => {
    const app = new OpenAPIHono().route('/', authRoutes)
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } })
    expect(Object.keys(doc.paths ?? {}).sort()).toEqual([
      '/v1/auth/login',
      '/v1/auth/logout',
      '/v1/auth/refresh',
      '/v1/auth/register',
      '/v1/devices/activate',
      '/v1/me',
      '/v1/me/devices',
      '/v1/me/devices/{id}',
      '/v1/me/payment-pin',
      '/v1/oauth/device_authorization',
      '/v1/oauth/token',
    ])
    const token = doc.paths!['/v1/oauth/token']!.post as {
      requestBody: { content: Record<string, unknown> }
    }
    expect(Object.keys(token.requestBody.content).sort()).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ])
    const pin = doc.paths!['/v1/me/payment-pin']!.put as { security: unknown[] }
    expect(pin.security).toEqual([{ bearer: [] }])
  })

  it('names each operation, says who may call it and what each refusal looks like', () => {
    const app = new OpenAPIHono().route('/', authRoutes)
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } })
    type Op = { operationId: string; security: unknown[]; responses: Record<string, any> }
    const op = (path: string, method: string) => (doc.paths![path] as Record<string, Op>)[method]
    const summary = Object.entries(doc.paths!).flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, Op>).map(([method, o]) => {
        const statuses = Object.keys(o.responses).filter((s) => Number(s) >= 400)
        return `${o.operationId} ${method} ${path} ${JSON.stringify(o.security)} ${statuses.join(',')}`
      }),
    )
    expect(summary.sort()).toEqual(
      [
        'activateDevice post /v1/devices/activate [{"bearer":[]}] 400,401,403,404,413,415,429,503',
        'getMe get /v1/me [{"bearer":[]}] 401,404,503',
        'listMyDevices get /v1/me/devices [{"bearer":[]}] 400,401,403,503',
        'login post /v1/auth/login [] 400,401,413,415,429,503',
        'logout post /v1/auth/logout [] 400,413,415',
        'refreshSession post /v1/auth/refresh [] 400,401,413,415,503',
        'register post /v1/auth/register [] 400,409,413,415,429,503',
        'requestDeviceToken post /v1/oauth/token [] 400,413,503',
        'setPaymentPin put /v1/me/payment-pin [{"bearer":[]}] 400,401,403,404,413,415,429,503',
        'startDeviceAuthorization post /v1/oauth/device_authorization [] 400,413,429',
        'unpairDevice delete /v1/me/devices/{id} [{"bearer":[]}] 400,401,403,404,503',
      ].sort(),
    )
    // OAuth endpoints answer RFC 6749 JSON, not problem+json, for every refusal.
    const deviceAuthorization = op('/v1/oauth/device_authorization', 'post')
    for (const status of ['400', '413', '429']) {
      expect(Object.keys(deviceAuthorization.responses[status].content)).toEqual([
        'application/json',
      ])
    }
    expect(deviceAuthorization.responses['429'].headers).toHaveProperty('Retry-After')
    expect(op('/v1/auth/login', 'post').responses['401'].description).toContain(
      '`invalid_credentials`',
    )
  })
})
