import { env } from 'cloudflare:test'
import { z } from '@hono/zod-openapi'
import { beforeAll, describe, expect, it } from 'vitest'
import { requireDeviceOrUser, requireUser } from '../../src/http/auth'
import { access, route } from '../../src/http/openapi'
import { ADMIN, call, type JsonResponse } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'

/* The served /openapi.json: linted, and held to what the Worker really answers. */

type Operation = {
  operationId?: string
  security?: Array<Record<string, string[]>>
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>
}

let doc: {
  servers?: Array<{ url: string }>
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, unknown>; schemas?: Record<string, unknown> }
}
type JsonSchema = { type?: unknown; anyOf?: JsonSchema[]; properties?: Record<string, JsonSchema> }
const operations: Array<{ method: string; path: string; op: Operation }> = []

beforeAll(async () => {
  const res = await call('GET', '/openapi.json')
  expect(res.status).toBe(200)
  doc = res.body
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) operations.push({ method, path, op })
  }
})

/**
 * Warnings the recommended ruleset gives that are true of this API: a private API states no
 * license; these GETs take no input and need no credential, so they have no 4xx to document; a
 * WebSocket upgrade answers 101, never 2xx.
 */
const ACCEPTED_WARNINGS = [
  'info-license #/info',
  'operation-4xx-response #/paths/~1healthz/get/responses',
  'operation-4xx-response #/paths/~1.well-known~1jwks.json/get/responses',
  'operation-4xx-response #/paths/~1v1~1categories/get/responses',
  'operation-2xx-response #/paths/~1v1~1channel/get/responses',
]

describe('the OpenAPI document', () => {
  it("passes Redocly's recommended lint with no errors and no unexplained warnings", async () => {
    const served = await call('GET', '/openapi.json')
    const res = await fetch(env.OPENAPI_LINTER_URL, { method: 'POST', body: served.text })
    expect(res.status, await res.clone().text()).toBe(200)
    const problems = (await res.json()) as Array<{
      severity: string
      rule: string
      pointer: string
    }>
    const errors = problems.filter((p) => p.severity === 'error')
    expect(errors).toEqual([])
    const warnings = problems.map((p) => `${p.rule} ${p.pointer}`)
    expect(warnings.sort()).toEqual([...ACCEPTED_WARNINGS].sort())
  })

  it('the linter really lints: a broken document gets errors', async () => {
    const broken = JSON.stringify({ ...doc, servers: [], paths: { '/x': { get: {} } } })
    const res = await fetch(env.OPENAPI_LINTER_URL, { method: 'POST', body: broken })
    const problems = (await res.json()) as Array<{ severity: string; rule: string }>
    const rules = problems.filter((p) => p.severity === 'error').map((p) => p.rule)
    expect(rules).toContain('no-empty-servers')
    expect(rules).toContain('security-defined')
  })

  it('names this deployment as its server (PUBLIC_BASE_URL)', () => {
    expect(doc.servers).toEqual([{ url: env.PUBLIC_BASE_URL, description: 'This deployment' }])
  })

  it('gives every operation a unique camelCase operationId', () => {
    expect(operations.length).toBeGreaterThanOrEqual(53)
    const ids = operations.map((o) => o.op.operationId)
    for (const [i, id] of ids.entries()) {
      expect(id, `${operations[i].method} ${operations[i].path}`).toMatch(/^[a-z][a-zA-Z0-9]+$/)
    }
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('states security on every operation: [] when public, 401 whenever a credential is needed', () => {
    const schemes = Object.keys(doc.components.securitySchemes).sort()
    expect(schemes).toEqual(['adminToken', 'bearer', 'billerSignature'])
    for (const { method, path, op } of operations) {
      const where = `${method} ${path}`
      expect(op.security, where).toBeDefined()
      const optional = op.security!.some((s) => Object.keys(s).length === 0)
      if (op.security!.length > 0 && !optional)
        expect(Object.keys(op.responses), where).toContain('401')
      if (path.startsWith('/v1/admin/')) expect(op.security, where).toEqual([{ adminToken: [] }])
    }
    const publicOps = operations.filter((o) => o.op.security!.length === 0)
    expect(publicOps.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining(['get /v1/categories', 'post /v1/auth/login', 'get /v1/deals']),
    )
  })

  it('lists 429 with Retry-After on every rate-limited operation', () => {
    const limited = [
      'post /v1/auth/register',
      'post /v1/auth/login',
      'put /v1/me/payment-pin',
      'post /v1/devices/activate',
      'post /v1/oauth/device_authorization',
      'post /v1/channel/tickets',
      'post /v1/payments/{id}/confirm',
    ]
    const with429 = operations.filter((o) => o.op.responses['429'])
    expect(with429.map((o) => `${o.method} ${o.path}`).sort()).toEqual(limited.sort())
    for (const { op } of with429) {
      expect(op.responses['429']).toHaveProperty(['headers', 'Retry-After'])
    }
  })

  it('lists RateLimit headers on every answer of an operation counted against quotas', () => {
    const quotas = [
      'post /v1/auth/register',
      'post /v1/auth/login',
      'put /v1/me/payment-pin',
      'post /v1/devices/activate',
      'post /v1/oauth/device_authorization',
    ]
    const withHeaders = operations.filter((o) =>
      Object.values(o.op.responses).some(
        (r) => 'headers' in r && (r.headers as Record<string, unknown> | undefined)?.RateLimit,
      ),
    )
    expect(withHeaders.map((o) => `${o.method} ${o.path}`).sort()).toEqual(quotas.sort())
    for (const { op } of withHeaders) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (status.startsWith('2') || status === '429') {
          expect(response, status).toHaveProperty(['headers', 'RateLimit-Policy'])
        }
      }
    }
  })

  it('narrows each problem response to the codes its status can carry (an enum of code)', () => {
    expect(doc.components?.schemas?.Problem).toBeDefined()
    const confirm = operations.find((o) => o.op.operationId === 'confirmPayment')!.op
    const codesOf = (status: string) => {
      const schema = confirm.responses[status].content!['application/problem+json'].schema as {
        allOf: [{ $ref: string }, { properties: { code: { enum: string[] } } }]
      }
      expect(schema.allOf[0].$ref).toBe('#/components/schemas/Problem')
      return schema.allOf[1].properties.code.enum
    }
    expect(codesOf('423')).toEqual(['pin_locked'])
    expect(codesOf('403')).toEqual(expect.arrayContaining(['invalid_pin', 'user_token_required']))
    expect(codesOf('403')).not.toContain('pin_locked')
    // Every code listed in a description is in the enum, and the other way round.
    for (const { op } of operations) {
      for (const response of Object.values(op.responses)) {
        const media = response.content?.['application/problem+json']
        if (!media) continue
        const listed = [...(response.description ?? '').matchAll(/^`([a-z_]+)`:/gm)].map(
          (m) => m[1],
        )
        const schema = media.schema as {
          allOf: [unknown, { properties: { code: { enum: string[] } } }]
        }
        expect(schema.allOf[1].properties.code.enum.sort()).toEqual(listed.sort())
      }
    }
  })

  it('lists Retry-After with every code that sends it, and names the codes', () => {
    const join = operations.find((o) => o.op.operationId === 'joinDeal')!.op
    expect(join.responses['503']).toHaveProperty(['headers', 'Retry-After'])
    expect(JSON.stringify(join.responses['503'])).toContain('sent with `deal_unavailable`')
    const confirm = operations.find((o) => o.op.operationId === 'confirmPayment')!.op
    expect(confirm.responses['423']).toHaveProperty(['headers', 'Retry-After'])
    expect(confirm.responses['409']).toHaveProperty(['headers', 'Retry-After'])
    // A status none of whose codes sends it does not list it.
    expect(confirm.responses['404']).not.toHaveProperty(['headers', 'Retry-After'])
  })

  it('carries only JSON Schema patterns: no leaked regex flags, and team codes in either case', () => {
    const patterns: string[] = []
    JSON.stringify(doc, (key, value) => {
      if (key === 'pattern' && typeof value === 'string') patterns.push(value)
      return value
    })
    expect(patterns.length).toBeGreaterThan(5)
    for (const p of patterns) {
      expect(p).not.toMatch(/\/[dgimsuvy]*$/)
      expect(() => new RegExp(p, 'u')).not.toThrow()
    }
    const code = doc.paths['/v1/deals/{id}/teams/{code}'].get as unknown as {
      parameters: Array<{ name: string; schema: { pattern: string } }>
    }
    const pattern = new RegExp(code.parameters.find((p) => p.name === 'code')!.schema.pattern, 'u')
    expect(['K7QF3M', 'k7qf3m', 'K7qf3M'].every((c) => pattern.test(c))).toBe(true)
    expect(['K7QF3O', 'K7QF3', 'K7QF3M1', 'k7qf3l'].some((c) => pattern.test(c))).toBe(false)
  })

  it('documents null where the answer may carry it, and keeps the shared components non-null', () => {
    const schemas = (doc.components as unknown as { schemas: Record<string, JsonSchema> }).schemas
    const nullable = (schema: JsonSchema | undefined) =>
      (schema?.anyOf ?? []).some((s) => s.type === 'null')
    expect(nullable(schemas.BillerRules.properties?.min_amount)).toBe(true)
    expect(nullable(schemas.BillerRules.properties?.max_amount)).toBe(true)
    expect(nullable(schemas.ActivateResponse.properties?.device)).toBe(true)
    expect(nullable(schemas.ProductSummary.properties?.image)).toBe(true)
    expect(nullable(schemas.DealParticipation.properties?.team)).toBe(true)
    // zod-to-openapi writes a nullable ref's null into the shared component itself
    for (const name of ['Money', 'Image', 'DealTeam', 'DeviceSummary']) {
      expect(schemas[name].type).toBe('object')
    }
  })
})

describe('route()', () => {
  const base = {
    method: 'get' as const,
    path: '/x',
    responses: { 200: { description: 'ok' } },
  }

  it('refuses an access its middleware does not enforce, or a guard it does not declare', () => {
    expect(() =>
      route({ ...base, operationId: 'x', access: access.user, middleware: [requireDeviceOrUser] }),
    ).toThrow(/requireUser/)
    expect(() =>
      route({ ...base, operationId: 'x', access: access.public, middleware: [requireUser] }),
    ).toThrow(/requireUser does not match/)
  })

  it('derives security and one problem response per status from the codes', () => {
    const r = route({
      ...base,
      operationId: 'x',
      access: access.user,
      middleware: [requireUser],
      rateLimited: 'too often',
      request: { params: z.object({ id: z.string() }) },
      problems: { not_found: 'No such x', conflict: 'busy' },
    })
    expect(r.security).toEqual([{ bearer: [] }])
    const responses = r.responses as Record<string, { description: string }>
    expect(Object.keys(responses).sort()).toEqual(
      ['200', '400', '401', '403', '404', '409', '429', '503'].sort(),
    )
    expect(responses[403].description).toContain('`user_token_required`')
    expect(responses[404].description).toBe('`not_found`: No such x')
    expect(responses[429].description).toBe('`rate_limited`: too often')
  })
})

/**
 * What the Worker answers is what the document says: each request below gets a status the
 * operation lists, with the documented media type, and a problem's `code` is one its status names.
 */
describe('answers match the document', () => {
  function expectDocumented(method: string, path: string, res: JsonResponse) {
    const op = doc.paths[path]?.[method]
    const where = `${method.toUpperCase()} ${path} -> ${res.status} ${res.text.slice(0, 200)}`
    expect(op, where).toBeDefined()
    const documented = op!.responses[String(res.status)]
    expect(documented, where).toBeDefined()
    const type = res.headers.get('content-type')?.split(';')[0]
    if (res.status === 204 || res.status === 304) return
    expect(Object.keys(documented!.content ?? {}), where).toContain(type)
    if (type === 'application/problem+json') {
      expect(documented!.description, where).toContain(`\`${res.body.code}\``)
      const schema = documented!.content![type].schema as {
        allOf: [unknown, { properties: { code: { enum: string[] } } }]
      }
      expect(schema.allOf[1].properties.code.enum, where).toContain(res.body.code)
    }
  }

  it('for credentials, validation, unknown ids, idempotency and rate limits', async () => {
    const user = await createTestUser()
    const tv = await createTestDevice(user.id)
    const cases: Array<[string, string, string, Parameters<typeof call>[2]?]> = [
      ['get', '/v1/me/wallet', '/v1/me/wallet'],
      ['get', '/v1/me/wallet', '/v1/me/wallet', { token: 'not-a-jwt' }],
      ['get', '/v1/me/wallet', '/v1/me/wallet', { token: tv.token }],
      ['get', '/v1/me/payments', '/v1/me/payments', { token: tv.token }],
      ['get', '/v1/me/payments', '/v1/me/payments?cursor=zzz', { token: user.token }],
      ['get', '/v1/me/payments', '/v1/me/payments?limit=500', { token: user.token }],
      ['get', '/v1/payments/{id}', '/v1/payments/pay_nope', { token: user.token }],
      ['get', '/v1/home', '/v1/home', { token: 'expired.or.forged' }],
      ['get', '/v1/products/{id}', '/v1/products/prod_nope'],
      ['get', '/v1/deals/{id}/teams/{code}', '/v1/deals/deal_x/teams/k7qf3m', { token: tv.token }],
      ['post', '/v1/admin/categories', '/v1/admin/categories', { body: {} }],
      ['post', '/v1/admin/categories', '/v1/admin/categories', { body: {}, headers: ADMIN }],
      [
        'post',
        '/v1/orders',
        '/v1/orders',
        { rawBody: '{"items":', headers: { 'content-type': 'application/json' }, token: tv.token },
      ],
      [
        'post',
        '/v1/auth/login',
        '/v1/auth/login',
        { rawBody: 'phone=1&password=2', headers: { 'content-type': 'text/plain' } },
      ],
      [
        'post',
        '/v1/orders',
        '/v1/orders',
        { body: { items: [] }, headers: { 'idempotency-key': 'bad key' }, token: tv.token },
      ],
      [
        'post',
        '/v1/orders',
        '/v1/orders',
        { body: { items: [{ product_id: 'prod_nope', quantity: 1 }] }, token: tv.token },
      ],
      ['post', '/v1/payments/{id}/confirm', '/v1/payments/pay_nope/confirm', { token: tv.token }],
      ['post', '/v1/auth/refresh', '/v1/auth/refresh', { body: { refresh_token: 'nope' } }],
      ['get', '/v1/biller-feed/payments', '/v1/biller-feed/payments?since=2026-01-01T00:00:00Z'],
      ['get', '/v1/channel', '/v1/channel?ticket=nope'],
      ['post', '/v1/oauth/token', '/v1/oauth/token', { body: { grant_type: 'password' } }],
    ]
    for (const [method, path, url, opts] of cases) {
      expectDocumented(method, path, await call(method.toUpperCase(), url, opts))
    }
  })

  it('for a rate limit reached (429 with Retry-After)', async () => {
    const body = { phone: '+8613900009999', password: 'wrong password here' }
    let res: JsonResponse | undefined
    for (let i = 0; i < 12 && res?.status !== 429; i++) {
      res = await call('POST', '/v1/auth/login', { body })
      expectDocumented('post', '/v1/auth/login', res)
    }
    expect(res!.status).toBe(429)
    expect(res!.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(res!.headers.get('ratelimit')).toMatch(
      /^"login:phone";r=0;t=\d+, "login:ip";r=\d+;t=\d+$/,
    )
  })
})
