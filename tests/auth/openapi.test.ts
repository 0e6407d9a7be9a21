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
})
