import { createRoute, type RouteConfig, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { CursorQuery } from '../lib/pagination'
import { requireAdmin } from './admin'
import { optionalAuth, requireDeviceOrUser, requireUser } from './auth'
import { ERROR_STATUS, type ErrorCode, RETRY_AFTER_CODES } from './errors'
import { idempotent } from './idempotency'

/**
 * How route files describe an operation in the OpenAPI document: `route({...})` instead of
 * createRoute, with who may call it (`access`), the problem codes its handler answers and whether a
 * rate limit guards it. The security requirement and every error response are derived from those,
 * so they cannot drift from the middleware that enforces them.
 */

/** The problem+json body (see errors.ts); errors, request_id and other members pass through. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://tvpay.example/docs/problems#not_found' }),
    title: z.string(),
    status: z.number().int(),
    code: z
      .string()
      .openapi({ description: 'Stable machine word: each response lists the ones it can carry' }),
    detail: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'validation_failed: one entry per failing field' }),
    request_id: z.string().optional(),
  })
  .passthrough()
  .openapi('Problem')

/** Who may call an operation, the guard (route middleware) that enforces it, and what it answers. */
export type Access = {
  readonly security: ReadonlyArray<Record<string, string[]>>
  readonly guard?: MiddlewareHandler
  readonly problems: readonly ErrorCode[]
}

export const access = {
  /** Anyone; `security: []` in the document. */
  public: { security: [], problems: [] },
  /** Anyone; a user or device token, when sent, must be valid (it may personalise the answer). */
  optionalBearer: {
    security: [{}, { bearer: [] }],
    guard: optionalAuth,
    problems: ['invalid_token', 'service_misconfigured'],
  },
  /** The person (phone) or one of their paired devices (TV). */
  deviceOrUser: {
    security: [{ bearer: [] }],
    guard: requireDeviceOrUser,
    problems: ['unauthorized', 'invalid_token', 'service_misconfigured'],
  },
  /** The person themself, with a user token; a device token is 403 user_token_required. */
  user: {
    security: [{ bearer: [] }],
    guard: requireUser,
    problems: ['unauthorized', 'invalid_token', 'user_token_required', 'service_misconfigured'],
  },
  /** Operators, with the ADMIN_TOKEN; closed (503) on a deployment without one. */
  admin: {
    security: [{ adminToken: [] }],
    guard: requireAdmin,
    problems: ['unauthorized', 'admin_disabled'],
  },
} as const satisfies Record<string, Access>

const GUARDS: MiddlewareHandler[] = Object.values(access).flatMap((a: Access) =>
  a.guard ? [a.guard] : [],
)

/** The security schemes that `access` values name; the app registers them once. */
export const securitySchemes = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A user (phone) or device (TV) access token',
  },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'The deployment ADMIN_TOKEN (a Worker secret), on /v1/admin routes and refunds',
  },
  billerSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Signature',
    description:
      't=<unix seconds>,v1=<hex HMAC-SHA256(feed secret, t + "." + signed payload)>, with X-Biller-Id',
  },
} as const

/** The document's top: `servers` is this deployment's public origin (PUBLIC_BASE_URL). */
export function openApiHeader(env: { PUBLIC_BASE_URL?: string }, requestOrigin: string) {
  const origin = env.PUBLIC_BASE_URL?.trim().replace(/\/+$/, '') || requestOrigin
  return {
    openapi: '3.1.0',
    info: {
      title: 'tvpay API',
      version: '1.0.0',
      description:
        'Shop and pay household bills from a TV; confirm every payment on the paired phone.',
    },
    servers: [{ url: origin, description: 'This deployment' }],
  }
}

/** What the generic codes mean when a route does not say more. */
const MEANING: Partial<Record<ErrorCode, string>> = {
  validation_failed: 'a field is missing or invalid (errors lists each)',
  malformed_json: 'the body is not JSON',
  invalid_cursor: 'the cursor is not one this list issued',
  payload_too_large: 'the body is over the size limit',
  unsupported_media_type: 'the body is not in a media type this operation takes (Content-Type)',
  unauthorized: 'no credentials, or not the right ones',
  invalid_token: 'the token is invalid, expired, or its session or device has ended',
  user_token_required: 'a device (TV) token was sent; this needs the user on their phone',
  admin_disabled: 'no ADMIN_TOKEN is configured on this deployment',
  service_misconfigured: 'a secret this needs is not configured',
  idempotency_key_invalid: 'Idempotency-Key is not 1-255 visible ASCII characters',
  idempotency_in_progress: 'a request with this Idempotency-Key is still running (Retry-After)',
  idempotency_key_reuse: 'this Idempotency-Key was used with another body',
  rate_limited: 'too many attempts; wait Retry-After seconds',
}

type Problems = readonly ErrorCode[] | Partial<Record<ErrorCode, string>>

type Documented = {
  /** Stable camelCase name, unique across the API (generated clients use it). */
  operationId: string
  access: Access
  /** The codes the handler itself answers, with what each means here. */
  problems?: Problems
} & (
  | {
      /** A limit guards this operation: 429 rate_limited with Retry-After. */
      rateLimited?: string
      quotaLimited?: never
    }
  | {
      /** Per-window quotas guard it (limitRequest): 429 rate_limited with Retry-After, and its
       *  2xx and 429 answers carry RateLimit and RateLimit-Policy. */
      quotaLimited?: string
      rateLimited?: never
    }
)

const IdempotencyKeyHeader = z
  .string()
  .optional()
  .openapi({
    param: { name: 'idempotency-key', in: 'header' },
    description: 'Retries with the same key and body replay the first answer for 24 h',
    example: 'order-7f3c2a',
  })

type Header = { schema: { type: 'integer' | 'string' }; description: string }
type Headers = Record<string, Header>

const retryAfter = (codes: ErrorCode[]): Headers => ({
  'Retry-After': {
    schema: { type: 'integer' },
    description: `Seconds to wait (sent with ${codes.map((c) => `\`${c}\``).join(', ')})`,
  },
})
const RateLimitHeaders: Headers = {
  RateLimit: {
    schema: { type: 'string' },
    description:
      'What is left of each quota, e.g. `"login:ip";r=49;t=612`: attempts remaining and seconds until every attempt counted so far has slid out of the window (draft-ietf-httpapi-ratelimit-headers). On every answer once the attempt is counted, errors such as a wrong password\'s 401 included',
  },
  'RateLimit-Policy': {
    schema: { type: 'string' },
    description:
      'The quotas, e.g. `"login:ip";q=50;w=900`: attempts per sliding window of w seconds',
  },
}
const Challenge: Headers = {
  'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer' },
}

export function json<T extends z.ZodTypeAny>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } }
}

/** A Problem whose `code` is one of `codes`, so a generated client can switch on it exhaustively. */
function problem(description: string, headers: Headers, codes: ErrorCode[]) {
  const schema = {
    allOf: [
      { $ref: '#/components/schemas/Problem' },
      { type: 'object' as const, properties: { code: { type: 'string' as const, enum: codes } } },
    ],
  }
  return {
    description,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: { 'application/problem+json': { schema } },
  }
}

type ProblemResponse = ReturnType<typeof problem>

/**
 * createRoute with the operation's access, problem codes and rate limit: sets `security` (public
 * operations get `security: []`) and one problem+json response per status its codes map to,
 * including what the access guard, request validation, Idempotency-Key and the limit answer.
 * Responses the route declares itself (success, 304, OAuth errors) win over derived ones.
 */
export function route<const R extends RouteConfig & Documented>(config: R) {
  const { operationId, access: who, problems, rateLimited, quotaLimited, ...rest } = config
  const middleware = ([] as unknown[]).concat(rest.middleware ?? [])
  if (who.guard && !middleware.includes(who.guard)) {
    throw new Error(`${operationId}: its access needs ${who.guard.name} in its middleware`)
  }
  const stray = GUARDS.find((g) => g !== who.guard && middleware.includes(g))
  if (stray) throw new Error(`${operationId}: ${stray.name} does not match its declared access`)

  const codes = new Map<ErrorCode, string | undefined>()
  const add = (code: ErrorCode, text?: string) => codes.set(code, text ?? codes.get(code))
  for (const code of who.problems) add(code)
  const request: NonNullable<RouteConfig['request']> = { ...rest.request }
  if (request.params || request.query || request.headers || request.body) add('validation_failed')
  if (request.body) {
    add('payload_too_large')
    // Another media type is refused before the handler (415). The OAuth endpoints, which take
    // forms as well, answer it with their own 400 invalid_request (tests/auth/pairing.test.ts).
    if (!request.body.content['application/x-www-form-urlencoded']) add('unsupported_media_type')
    if (request.body.content['application/json']) add('malformed_json')
  }
  const query = request.query as { shape?: Record<string, unknown> } | undefined
  if (query?.shape && Object.values(query.shape).includes(CursorQuery)) add('invalid_cursor')
  if (middleware.includes(idempotent)) {
    for (const code of [
      'idempotency_key_invalid',
      'idempotency_in_progress',
      'idempotency_key_reuse',
      'service_misconfigured',
    ] as const)
      add(code)
    const headers = request.headers as z.ZodObject | undefined
    if (!headers?.shape['idempotency-key']) {
      request.headers = (headers ?? z.object({})).extend({
        'idempotency-key': IdempotencyKeyHeader,
      })
    }
  }
  const tooMany = rateLimited ?? quotaLimited
  if (tooMany) add('rate_limited', tooMany)
  const listed = Array.isArray(problems)
    ? problems.map((code) => [code, undefined] as const)
    : (Object.entries(problems ?? {}) as Array<[ErrorCode, string]>)
  for (const [code, text] of listed) add(code, text)

  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of codes.keys()) {
    const status = ERROR_STATUS[code]
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const bearer = who.security.some((s) => 'bearer' in s || 'adminToken' in s)
  const limits = quotaLimited ? RateLimitHeaders : {}
  const derived: Record<string, ProblemResponse> = {}
  for (const [status, inStatus] of [...byStatus].sort(([a], [b]) => a - b)) {
    const lines = inStatus.map(
      (code) => `\`${code}\`: ${codes.get(code) ?? MEANING[code] ?? code.replaceAll('_', ' ')}`,
    )
    const waits = inStatus.filter((code) =>
      (RETRY_AFTER_CODES as readonly ErrorCode[]).includes(code),
    )
    const headers = {
      ...(waits.length > 0 ? retryAfter(waits) : {}),
      ...(status === 401 && bearer ? Challenge : {}),
      ...(status === 429 ? limits : {}),
    }
    derived[status] = problem(lines.join('\n\n'), headers, inStatus)
  }
  const declared = { ...rest.responses } as Record<string, { headers?: unknown }>
  if (quotaLimited) {
    for (const [status, response] of Object.entries(declared)) {
      if (status.startsWith('2') || status === '429') {
        declared[status] = { ...response, headers: { ...(response.headers ?? {}), ...limits } }
      }
    }
  }

  return createRoute({
    ...rest,
    operationId,
    security: [...who.security],
    ...(rest.request ? { request: request as R['request'] } : {}),
    responses: { ...derived, ...declared },
  } as Omit<R, keyof Documented> & {
    operationId: string
    security: Array<Record<string, string[]>>
    // Typed as declared: handlers never return a problem (they throw), and typed clients keep
    // narrowing on the success statuses. The document has every derived response.
    responses: R['responses']
  })
}
