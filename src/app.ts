import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { requestId } from 'hono/request-id'
import { bodyLimit } from 'hono/body-limit'
import { TrieRouter } from 'hono/router/trie-router'
import type { AppEnv } from './env'
import { d1Session } from './http/d1-session'
import { ApiError, type ProblemContext, problemResponse } from './http/errors'
import { detectLanguage, languageOf } from './http/language'
import { corsFromConfig } from './http/cors'
import { openApiHeader, ProblemSchema, securitySchemes } from './http/openapi'
import { validationHook } from './http/validation'
import { healthRoutes } from './health/routes'
import { OAuthError, oauthErrorResponse } from './auth/oauth-errors'
import { catalogRoutes } from './catalog/routes'
import { authRoutes } from './auth/routes'
import { paymentRoutes } from './payments/routes'
import { alipayRoutes } from './alipay/routes'
import { orderRoutes } from './orders/routes'
import { dealRoutes } from './deals/routes'
import { billRoutes } from './bills/routes'
import { channelRoutes } from './channel/routes'
import { pageRoutes } from './pages/routes'

const SMALL_BODY = 32 * 1024
const BULK_BODY = 1024 * 1024

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })

  app.use(requestId({ headerName: 'x-request-id' }))
  app.use(detectLanguage)
  // Every request's queries run in one D1 session (read replicas; x-d1-bookmark in and out).
  app.use(d1Session)
  app.use(async function accessLog(c, next) {
    const started = Date.now()
    await next()
    // Path only: query strings and headers may carry codes or tokens.
    console.log(
      JSON.stringify({
        rid: c.var.requestId,
        m: c.req.method,
        p: c.req.path,
        s: c.res.status,
        ms: Date.now() - started,
      }),
    )
  })
  app.use(corsFromConfig)
  app.use(async function limitBody(c, next) {
    const bulk = c.req.path.startsWith('/v1/admin/') || c.req.path.startsWith('/v1/biller-feed/')
    const maxSize = bulk ? BULK_BODY : SMALL_BODY
    return bodyLimit({
      maxSize,
      onError: (c) => {
        const message = `Request bodies are limited to ${maxSize} bytes here`
        // OAuth clients read RFC 6749's { error } on every error of the token endpoints
        if (c.req.path.startsWith('/v1/oauth/')) {
          const tooLarge = new OAuthError('invalid_request', message, {}, 413)
          return oauthErrorResponse(tooLarge, c.var.requestId)
        }
        throw new ApiError('payload_too_large', message)
      },
    })(c, next)
  })

  const routes = app
    .route('/', healthRoutes)
    .route('/', catalogRoutes)
    .route('/', authRoutes)
    .route('/', paymentRoutes)
    .route('/', alipayRoutes)
    .route('/', orderRoutes)
    .route('/', dealRoutes)
    .route('/', billRoutes)
    .route('/', channelRoutes)
    .route('/', pageRoutes)

  // Operations refer to it by $ref (narrowing `code` per response), so it is registered by name.
  app.openAPIRegistry.register('Problem', ProblemSchema)
  for (const [name, scheme] of Object.entries(securitySchemes)) {
    app.openAPIRegistry.registerComponent('securitySchemes', name, scheme)
  }
  app.doc31('/openapi.json', (c) => openApiHeader(c.env, new URL(c.req.url).origin))
  // /docs is a static page (web/docs): Swagger UI served from this Worker, no CDN.

  const problemContext = (c: Context<AppEnv>): ProblemContext => ({
    requestId: c.var.requestId,
    language: languageOf(c.var.language),
    baseUrl: c.env?.PUBLIC_BASE_URL,
  })

  const methodsByPath = new TrieRouter<string>()
  app.notFound((c) => {
    if (methodsByPath.match('GET', '/__init__')[0].length === 0 && app.routes.length > 0) {
      for (const r of app.routes) if (r.method !== 'ALL') methodsByPath.add('GET', r.path, r.method)
      methodsByPath.add('GET', '/__init__', 'GET')
    }
    const allowed = [...new Set(methodsByPath.match('GET', c.req.path)[0].map(([m]) => m))]
    if (allowed.length > 0) {
      const err = new ApiError(
        'method_not_allowed',
        `${c.req.method} is not allowed here`,
        {},
        { allow: allowed.join(', ') },
      )
      return problemResponse(err, problemContext(c))
    }
    return problemResponse(
      new ApiError('not_found', `No route for ${c.req.method} ${c.req.path}`),
      problemContext(c),
    )
  })

  app.onError((err, c) => {
    if (err instanceof ApiError) return problemResponse(err, problemContext(c))
    if (err instanceof HTTPException) {
      if (err.status === 400)
        return problemResponse(new ApiError('malformed_json', err.message), problemContext(c))
      if (err.status === 413)
        return problemResponse(new ApiError('payload_too_large', err.message), problemContext(c))
      if (err.status === 401)
        return problemResponse(new ApiError('unauthorized', err.message), problemContext(c))
      // A body in a media type the operation does not take (text/plain where JSON is expected).
      if (err.status === 415)
        return problemResponse(
          new ApiError(
            'unsupported_media_type',
            'Send the request body as application/json (Content-Type: application/json)',
          ),
          problemContext(c),
        )
      return problemResponse(new ApiError('bad_request', err.message), problemContext(c))
    }
    console.error(
      JSON.stringify({
        rid: c.var.requestId,
        error: err instanceof Error ? err.name : 'unknown',
        message: err instanceof Error ? err.message : String(err),
      }),
    )
    return problemResponse(
      new ApiError('internal_error', 'Something went wrong on our side'),
      problemContext(c),
    )
  })

  return routes
}

export const app = createApp()
export type AppType = typeof app
