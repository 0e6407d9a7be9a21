import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { signingKeys } from '../auth/keys'
import { readiness } from './readiness'
import { ApiError } from '../http/errors'
import { access, route } from '../http/openapi'
import { benchEnabled } from '../lib/d1-stats'

const CheckSchema = z.enum(['ok', 'missing', 'invalid', 'unreachable'])

const health = route({
  operationId: 'getHealth',
  access: access.public,
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'Readiness: D1 and the secrets this deployment needs',
  description:
    'Readiness: 200 only when D1 answers and every secret the deployment needs is present ' +
    '(JWT_KEYS, PIN_PEPPER, BILLER_FEED_KEY, and the Alipay keys when ALIPAY_APP_ID is set). ' +
    'Otherwise 503 with one check per dependency; secret values are never shown.',
  responses: {
    200: {
      description: 'Ready',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
    },
    503: {
      description: 'Degraded: D1 does not answer or a secret is missing or unusable',
      content: {
        'application/json': {
          schema: z
            .object({
              status: z.literal('degraded'),
              checks: z.record(z.string(), CheckSchema).openapi({
                example: { d1: 'ok', JWT_KEYS: 'missing', PIN_PEPPER: 'ok', BILLER_FEED_KEY: 'ok' },
              }),
            })
            .openapi('HealthDegraded'),
        },
      },
    },
  },
})

const jwks = route({
  operationId: 'getJwks',
  access: access.public,
  problems: { service_misconfigured: 'JWT_KEYS is not configured' },
  method: 'get',
  path: '/.well-known/jwks.json',
  tags: ['health'],
  summary: 'Public keys that verify access tokens and payment receipts',
  description: 'Public keys (ES256) that verify access tokens and payment receipts.',
  responses: {
    200: {
      description: 'JWK Set',
      content: {
        'application/json': {
          schema: z.object({
            keys: z.array(z.object({ kid: z.string(), kty: z.string() }).passthrough()),
          }),
        },
      },
    },
  },
})

/** `npm run bench` compares every route with this constant answer from the same Worker. */
const benchBaseline = route({
  operationId: 'benchBaseline',
  access: access.public,
  method: 'get',
  path: '/__bench/baseline',
  hide: true,
  responses: {
    200: {
      description: 'A constant small JSON (only when the Worker runs with BENCH=1)',
      content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) } },
    },
  },
})

/** One trivial D1 round trip: the least any D1-backed route can add over the baseline. */
const benchD1Floor = route({
  operationId: 'benchD1Floor',
  access: access.public,
  method: 'get',
  path: '/__bench/d1',
  hide: true,
  responses: {
    200: {
      description: 'A constant small JSON after `SELECT 1` on D1 (only when BENCH=1)',
      content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) } },
    },
  },
})

/** `npm run bench` times the household channel against this: a WebSocket echoed by the Worker. */
const benchEcho = route({
  operationId: 'benchEcho',
  access: access.public,
  method: 'get',
  path: '/__bench/echo',
  hide: true,
  responses: {
    101: { description: 'A WebSocket that echoes every frame (only when BENCH=1)' },
  },
})

export const healthRoutes = new OpenAPIHono<AppEnv>()
  .openapi(health, async (c) => {
    c.header('cache-control', 'no-store')
    const checks = await readiness(c.env)
    if (Object.values(checks).every((v) => v === 'ok'))
      return c.json({ status: 'ok' as const }, 200)
    return c.json({ status: 'degraded' as const, checks }, 503)
  })
  .openapi(jwks, async (c) => {
    const { publicJwks } = await signingKeys(c.env.JWT_KEYS)
    c.header('cache-control', 'public, max-age=300')
    return c.json(publicJwks as { keys: Array<{ kid: string; kty: string }> }, 200)
  })
  .openapi(benchBaseline, (c) => {
    if (!benchEnabled(c.env)) throw new ApiError('not_found', `No route for GET ${c.req.path}`)
    return c.json({ ok: true as const }, 200)
  })
  .openapi(benchD1Floor, async (c) => {
    if (!benchEnabled(c.env)) throw new ApiError('not_found', `No route for GET ${c.req.path}`)
    await c.env.DB.prepare('SELECT 1').first()
    return c.json({ ok: true as const }, 200)
  })
  .openapi(benchEcho, (c) => {
    if (!benchEnabled(c.env)) throw new ApiError('not_found', `No route for GET ${c.req.path}`)
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw new ApiError('upgrade_required', 'Open this URL as a WebSocket')
    }
    const { 0: client, 1: server } = new WebSocketPair()
    server.accept()
    server.addEventListener('message', (event) => server.send(event.data))
    return new Response(null, { status: 101, webSocket: client }) as never
  })
