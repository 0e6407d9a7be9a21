import { OpenAPIHono } from '@hono/zod-openapi'
import { HTTPException } from 'hono/http-exception'
import { revokeChannelDevice } from '../channel/push'
import type { AppEnv } from '../env'
import { ApiError } from '../http/errors'
import { access, route } from '../http/openapi'
import { clientIp, limitRequest } from '../http/rate-limit'
import { OAuthError, oauthErrorResponse } from './oauth-errors'
import { deviceTokens, exchangeDeviceCode, startDeviceAuthorization } from './pairing'
import { signingKeys } from './keys'
import { rotateRefreshToken } from './refresh'
import {
  DEVICE_CODE_GRANT,
  DeviceAuthorizationBody,
  DeviceAuthorizationResponse,
  DeviceTokenResponse,
  OAuthErrorSchema,
  TokenBody,
} from './schemas'

const FORM = 'application/x-www-form-urlencoded'
const RETRY_AFTER = { 'Retry-After': { schema: { type: 'integer' as const } } }

const oauthError = (description: string) => ({
  description,
  content: { 'application/json': { schema: OAuthErrorSchema } },
})
/** Every error here is RFC 6749's `{ error, error_description }`: these replace the problem ones. */
const oauthErrors = {
  413: oauthError('invalid_request: the body is over the size limit'),
  503: oauthError('temporarily_unavailable: JWT_KEYS is not configured; nothing was spent'),
}

const deviceAuthorization = route({
  operationId: 'startDeviceAuthorization',
  access: access.public,
  quotaLimited: 'too many pairings started from this address',
  method: 'post',
  path: '/v1/oauth/device_authorization',
  tags: ['pairing'],
  summary: 'A TV starts pairing (RFC 8628 §3.1): shows user_code, polls /v1/oauth/token',
  request: {
    body: {
      content: {
        'application/json': { schema: DeviceAuthorizationBody },
        [FORM]: { schema: DeviceAuthorizationBody },
      },
    },
  },
  responses: {
    200: {
      description: 'Codes to show and poll with',
      content: { 'application/json': { schema: DeviceAuthorizationResponse } },
    },
    400: oauthError('invalid_request or invalid_client'),
    429: { ...oauthError('rate_limited: wait Retry-After seconds'), headers: RETRY_AFTER },
    413: oauthErrors[413],
  },
})

const token = route({
  operationId: 'requestDeviceToken',
  access: access.public,
  method: 'post',
  path: '/v1/oauth/token',
  tags: ['pairing'],
  summary: 'Device code poll (RFC 8628 §3.4) or refresh token rotation for a TV',
  request: {
    body: { content: { 'application/json': { schema: TokenBody }, [FORM]: { schema: TokenBody } } },
  },
  responses: {
    200: {
      description: 'Device tokens',
      content: { 'application/json': { schema: DeviceTokenResponse } },
    },
    400: oauthError(
      'authorization_pending | slow_down | access_denied | expired_token | invalid_grant | invalid_client | ' +
        'invalid_request | unsupported_grant_type',
    ),
    ...oauthErrors,
  },
})

/** Both OAuth endpoints take JSON or form bodies; the validators fill whichever matched. */
function bodyOf<T>(c: { req: { header(name: string): string | undefined } }, json: T, form: T): T {
  return /^application\/([a-z.-]+\+)?json/i.test(c.req.header('content-type') ?? '') ? json : form
}

/** Errors here use the RFC 6749 shape { error, error_description }, not problem+json. */
export const oauthRoutes = new OpenAPIHono<AppEnv>({
  defaultHook: (result) => {
    if (!result.success) {
      const issue = result.error.issues[0]
      const where = issue?.path.join('.') || 'body'
      throw new OAuthError('invalid_request', `${where}: ${issue?.message ?? 'invalid'}`)
    }
  },
})
  .openapi(deviceAuthorization, async (c) => {
    const body = bodyOf(c, c.req.valid('json'), c.req.valid('form'))
    if (!body.client_id) throw new OAuthError('invalid_request', 'client_id is required')
    const ip = clientIp(c.req.header('cf-connecting-ip'))
    await limitRequest(c, [
      { policy: 'device-authorization:ip', subject: ip, limit: 30, windowSeconds: 600 },
    ])
    const started = await startDeviceAuthorization(c.env, {
      clientId: body.client_id,
      deviceName: body.device_name,
    })
    c.header('cache-control', 'no-store')
    return c.json(started, 200)
  })
  .openapi(token, async (c) => {
    const body = bodyOf(c, c.req.valid('json'), c.req.valid('form'))
    c.header('cache-control', 'no-store')
    const now = Date.now()
    if (body.grant_type === DEVICE_CODE_GRANT || body.grant_type === 'refresh_token') {
      // Before a code is consumed or a refresh token spent.
      await signingKeys(c.env.JWT_KEYS)
    }
    if (body.grant_type === DEVICE_CODE_GRANT) {
      if (!body.device_code) throw new OAuthError('invalid_request', 'device_code is required')
      if (!body.client_id) throw new OAuthError('invalid_request', 'client_id is required')
      const tokens = await exchangeDeviceCode(
        c.env,
        { deviceCode: body.device_code, clientId: body.client_id },
        now,
      )
      return c.json(tokens, 200)
    }
    if (body.grant_type === 'refresh_token') {
      if (!body.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required')
      const rotated = await rotateRefreshToken(
        c.env,
        body.refresh_token,
        'device',
        now,
        body.client_id,
      )
      if (!rotated.ok && rotated.reason === 'reused' && rotated.deviceId) {
        // Reuse unpaired the TV: its open channel sockets get device.revoked, as on unpairing.
        await revokeChannelDevice(c.env, rotated.userId, rotated.deviceId)
      }
      if (!rotated.ok || !rotated.device) {
        const reason = rotated.ok ? 'revoked' : rotated.reason
        const description =
          reason === 'reused'
            ? 'Refresh token reuse detected; this device must pair again'
            : reason === 'client_disabled'
              ? 'This client_id is disabled; its devices can no longer get tokens'
              : 'The refresh token is invalid, expired or revoked'
        throw new OAuthError('invalid_grant', description)
      }
      const { device, userId, next } = rotated
      return c.json(await deviceTokens(c.env, { ...device, user_id: userId }, next.token, now), 200)
    }
    if (!body.grant_type) throw new OAuthError('invalid_request', 'grant_type is required')
    throw new OAuthError('unsupported_grant_type', 'Use the device_code or refresh_token grant')
  })

oauthRoutes.onError((err, c) => {
  if (err instanceof OAuthError) return oauthErrorResponse(err, c.var.requestId)
  if (err instanceof ApiError) {
    const code =
      err.code === 'rate_limited'
        ? 'rate_limited'
        : err.code === 'service_misconfigured'
          ? 'temporarily_unavailable'
          : 'invalid_request'
    return oauthErrorResponse(
      new OAuthError(code, err.detail ?? err.code, {}, err.status, err.headers),
      c.var.requestId,
    )
  }
  if (err instanceof HTTPException) {
    const description =
      err.status === 415
        ? 'Send JSON or application/x-www-form-urlencoded'
        : 'Malformed request body'
    return oauthErrorResponse(new OAuthError('invalid_request', description), c.var.requestId)
  }
  console.error(
    JSON.stringify({
      rid: c.var.requestId,
      error: err instanceof Error ? err.name : 'unknown',
      message: err instanceof Error ? err.message : String(err),
    }),
  )
  return oauthErrorResponse(
    new OAuthError('server_error', 'Something went wrong on our side', {}, 500),
    c.var.requestId,
  )
})
