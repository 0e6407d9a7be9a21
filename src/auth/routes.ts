import { OpenAPIHono, z } from '@hono/zod-openapi'
import { endChannelSession, revokeChannelDevice } from '../channel/push'
import type { AppEnv } from '../env'
import { requireDeviceOrUser, requireUser, principalOf } from '../http/auth'
import { access, json, route } from '../http/openapi'
import { clientIp, limitRequest } from '../http/rate-limit'
import { LimitQuery, CursorQuery } from '../lib/pagination'
import { getAccount, loginUser, refreshUserSession, registerUser, setPaymentPin } from './accounts'
import { deviceSummary, listDevices, revokeDevice } from './devices'
import { oauthRoutes } from './oauth-routes'
import { activateDevice } from './pairing'
import { maskPhone } from './phone'
import { revokeFamilyOf } from './refresh'
import {
  ActivateBody,
  ActivateResponse,
  CredentialsBody,
  DeviceIdParam,
  DeviceListSchema,
  MeSchema,
  PaymentPinBody,
  RefreshBody,
  UserSessionSchema,
} from './schemas'

const MINUTE = 60

const register = route({
  operationId: 'register',
  access: access.public,
  quotaLimited: 'too many registrations from this address',
  problems: {
    phone_taken: 'an account with this phone exists',
    service_misconfigured: 'JWT_KEYS or PIN_PEPPER is not configured; nothing was created',
  },
  method: 'post',
  path: '/v1/auth/register',
  tags: ['auth'],
  summary: 'Create an account with a phone number and password',
  request: {
    body: { required: true, content: { 'application/json': { schema: CredentialsBody } } },
  },
  responses: {
    201: json(UserSessionSchema, 'Account created and signed in'),
  },
})

const login = route({
  operationId: 'login',
  access: access.public,
  quotaLimited: 'too many attempts for this phone or from this address',
  problems: {
    invalid_credentials: 'unknown phone or wrong password (the same answer for both)',
    service_misconfigured: 'JWT_KEYS is not configured',
  },
  method: 'post',
  path: '/v1/auth/login',
  tags: ['auth'],
  summary: 'Sign in; unknown phone and wrong password answer the same 401',
  request: {
    body: { required: true, content: { 'application/json': { schema: CredentialsBody } } },
  },
  responses: {
    200: json(UserSessionSchema, 'Signed in'),
  },
})

const refresh = route({
  operationId: 'refreshSession',
  access: access.public,
  problems: {
    invalid_token: 'unknown, expired, revoked or reused (a reuse revokes the whole family)',
    service_misconfigured: 'JWT_KEYS is not configured; the token was not spent',
  },
  method: 'post',
  path: '/v1/auth/refresh',
  tags: ['auth'],
  summary: 'Rotate a refresh token; a reused one revokes its whole family',
  request: { body: { required: true, content: { 'application/json': { schema: RefreshBody } } } },
  responses: {
    200: json(UserSessionSchema, 'A new access and refresh token'),
  },
})

const logout = route({
  operationId: 'logout',
  access: access.public,
  method: 'post',
  path: '/v1/auth/logout',
  tags: ['auth'],
  summary: 'Revoke the refresh token family this token belongs to',
  request: { body: { required: true, content: { 'application/json': { schema: RefreshBody } } } },
  responses: {
    204: { description: 'Signed out (also for tokens already invalid)' },
  },
})

const me = route({
  operationId: 'getMe',
  access: access.deviceOrUser,
  problems: { not_found: 'this account no longer exists' },
  method: 'get',
  path: '/v1/me',
  tags: ['auth'],
  summary: 'The signed-in account (a TV sees the phone number masked)',
  middleware: [requireDeviceOrUser] as const,
  responses: { 200: json(MeSchema, 'The account') },
})

const paymentPin = route({
  operationId: 'setPaymentPin',
  access: access.user,
  quotaLimited: 'too many attempts for this account or from this address',
  problems: {
    validation_failed: 'not 6 digits, or too easy to guess',
    invalid_password: 'the account password is incorrect',
    not_found: 'this account no longer exists',
    service_misconfigured: 'PIN_PEPPER is not configured',
  },
  method: 'put',
  path: '/v1/me/payment-pin',
  tags: ['auth'],
  summary: 'Set or change the 6-digit payment PIN (needs the account password)',
  middleware: [requireUser] as const,
  request: {
    body: { required: true, content: { 'application/json': { schema: PaymentPinBody } } },
  },
  responses: {
    204: { description: 'PIN set' },
  },
})

const activate = route({
  operationId: 'activateDevice',
  access: access.user,
  quotaLimited: 'too many codes tried by this account or from this address',
  problems: {
    validation_failed: 'not a code we could have issued',
    not_found: 'unknown, expired or already used code',
  },
  method: 'post',
  path: '/v1/devices/activate',
  tags: ['pairing'],
  summary: 'Approve or deny the TV showing this user_code (RFC 8628 verification)',
  middleware: [requireUser] as const,
  request: { body: { required: true, content: { 'application/json': { schema: ActivateBody } } } },
  responses: {
    200: json(ActivateResponse, 'Decision recorded; the TV learns it on its next poll'),
  },
})

const devices = route({
  operationId: 'listMyDevices',
  access: access.user,
  method: 'get',
  path: '/v1/me/devices',
  tags: ['pairing'],
  summary: 'Paired TVs and boxes, newest first',
  middleware: [requireUser] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: {
    200: json(DeviceListSchema, 'Paired devices'),
  },
})

const unpair = route({
  operationId: 'unpairDevice',
  access: access.user,
  problems: { not_found: 'no such paired device' },
  method: 'delete',
  path: '/v1/me/devices/{id}',
  tags: ['pairing'],
  summary: 'Unpair a device: its tokens stop working on its next request',
  middleware: [requireUser] as const,
  request: { params: DeviceIdParam },
  responses: {
    204: { description: 'Unpaired' },
  },
})

export const authRoutes = new OpenAPIHono<AppEnv>()
  .openapi(register, async (c) => {
    const ip = clientIp(c.req.header('cf-connecting-ip'))
    await limitRequest(c, [
      { policy: 'register:ip', subject: ip, limit: 20, windowSeconds: 60 * MINUTE },
    ])
    const session = await registerUser(c.env, c.req.valid('json'))
    c.header('cache-control', 'no-store')
    return c.json(session, 201)
  })
  .openapi(login, async (c) => {
    const input = c.req.valid('json')
    const ip = clientIp(c.req.header('cf-connecting-ip'))
    await limitRequest(c, [
      { policy: 'login:phone', subject: input.phone, limit: 10, windowSeconds: 15 * MINUTE },
      { policy: 'login:ip', subject: ip, limit: 50, windowSeconds: 15 * MINUTE },
    ])
    const session = await loginUser(c.env, input)
    c.header('cache-control', 'no-store')
    return c.json(session, 200)
  })
  .openapi(refresh, async (c) => {
    const session = await refreshUserSession(c.env, c.req.valid('json').refresh_token)
    c.header('cache-control', 'no-store')
    return c.json(session, 200)
  })
  .openapi(logout, async (c) => {
    const ended = await revokeFamilyOf(c.env, c.req.valid('json').refresh_token, Date.now())
    if (ended && ended.deviceId === null) {
      await endChannelSession(c.env, ended.userId, ended.familyId)
    }
    return c.body(null, 204)
  })
  .openapi(me, async (c) => {
    const principal = principalOf(c)
    const account = await getAccount(c.env, principal.userId)
    if (principal.kind === 'user') return c.json({ ...account, device: null }, 200)
    const device = await deviceSummary(c.env, principal.deviceId)
    return c.json({ ...account, phone: maskPhone(account.phone), device }, 200)
  })
  .openapi(paymentPin, async (c) => {
    const { userId } = principalOf(c)
    const ip = clientIp(c.req.header('cf-connecting-ip'))
    await limitRequest(c, [
      { policy: 'pin-setup:user', subject: userId, limit: 5, windowSeconds: 15 * MINUTE },
      { policy: 'pin-setup:ip', subject: ip, limit: 20, windowSeconds: 15 * MINUTE },
    ])
    await setPaymentPin(c.env, userId, c.req.valid('json'))
    return c.body(null, 204)
  })
  .openapi(activate, async (c) => {
    const { userId } = principalOf(c)
    const ip = clientIp(c.req.header('cf-connecting-ip'))
    await limitRequest(c, [
      { policy: 'user-code:user', subject: userId, limit: 10, windowSeconds: 10 * MINUTE },
      { policy: 'user-code:ip', subject: ip, limit: 30, windowSeconds: 10 * MINUTE },
    ])
    const { user_code, approve } = c.req.valid('json')
    return c.json(await activateDevice(c.env, { userId, userCode: user_code, approve }), 200)
  })
  .openapi(devices, async (c) => {
    const { userId } = principalOf(c)
    return c.json(await listDevices(c.env, userId, c.req.valid('query')), 200)
  })
  .openapi(unpair, async (c) => {
    const { userId } = principalOf(c)
    const deviceId = c.req.valid('param').id
    await revokeDevice(c.env, userId, deviceId)
    await revokeChannelDevice(c.env, userId, deviceId)
    return c.body(null, 204)
  })
  .route('/', oauthRoutes)
