import { z } from '@hono/zod-openapi'
import { listSchema } from '../lib/pagination'
import { PhoneInput } from './phone'
import { normalizeUserCode } from './pairing'

export const CredentialsBody = z
  .object({
    phone: PhoneInput,
    password: z.string().min(8, 'Password must be at least 8 characters').max(128),
  })
  .strict()
  .openapi('Credentials', { example: { phone: '13800138000', password: 'correct horse battery' } })

export const RefreshBody = z
  .object({ refresh_token: z.string().min(1).max(256) })
  .strict()
  .openapi('RefreshRequest')

export const UserSessionSchema = z
  .object({
    user: z.object({ id: z.string(), phone: z.string() }),
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
  })
  .openapi('UserSession')

export const MeSchema = z
  .object({
    id: z.string(),
    phone: z.string().openapi({ description: 'Masked (`+86 138****8000`) when a TV asks' }),
    has_payment_pin: z.boolean(),
    device: z
      .object({ id: z.string(), name: z.string(), client_id: z.string() })
      .nullable()
      .openapi({ description: 'The calling TV, or null for the phone' }),
  })
  .openapi('Me')

export const PaymentPinBody = z
  .object({
    pin: z.string().regex(/^\d{6}$/, 'PIN must be exactly 6 digits'),
    password: z.string().min(1).max(128),
  })
  .strict()
  .openapi('PaymentPinRequest')

export const ActivateBody = z
  .object({
    user_code: z
      .string()
      .max(32)
      .transform((value, ctx) => {
        const code = normalizeUserCode(value)
        if (!code) {
          ctx.addIssue({
            code: 'custom',
            message: 'A code is 8 letters as shown on the TV, like BCDF-GHJK',
          })
          return z.NEVER
        }
        return code
      })
      .openapi({ type: 'string', example: 'BCDF-GHJK' }),
    approve: z.boolean(),
  })
  .strict()
  .openapi('ActivateRequest')

export const DeviceSummarySchema = z
  .object({ id: z.string(), name: z.string(), client_id: z.string() })
  .openapi('DeviceSummary')

export const ActivateResponse = z
  .object({
    status: z.enum(['approved', 'denied']),
    device: z.union([DeviceSummarySchema, z.null()]),
  })
  .openapi('ActivateResponse')

export const DeviceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    client_id: z.string(),
    created_at: z.string(),
    last_seen_at: z
      .string()
      .nullable()
      .openapi({ description: 'Last time the device obtained a token' }),
  })
  .openapi('Device')

export const DeviceListSchema = listSchema(DeviceSchema, 'DeviceList')

export const DeviceIdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'dev_01h2xcejqtf2nbrexx3vqjhp41' }),
})

// OAuth endpoints follow RFC 6749 §3.2: unknown parameters are ignored (not .strict()), and a
// parameter sent empty counts as omitted.
const optionalParam = (max: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.string().max(max).optional())

export const DeviceAuthorizationBody = z
  .object({
    client_id: z.string().min(1).max(64),
    device_name: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim() || undefined : v),
      z.string().max(64).optional(),
    ),
  })
  .openapi('DeviceAuthorizationRequest', {
    example: { client_id: 'skyworth-tv', device_name: 'Living room TV' },
  })

export const DeviceAuthorizationResponse = z
  .object({
    device_code: z.string(),
    user_code: z.string().openapi({ example: 'BCDF-GHJK' }),
    verification_uri: z.string(),
    verification_uri_complete: z.string(),
    expires_in: z.number().int(),
    interval: z.number().int(),
  })
  .openapi('DeviceAuthorizationResponse')

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

export const TokenBody = z
  .object({
    grant_type: z.string().min(1).max(128),
    device_code: optionalParam(256),
    client_id: optionalParam(64),
    refresh_token: optionalParam(256),
  })
  .openapi('TokenRequest', {
    example: { grant_type: DEVICE_CODE_GRANT, device_code: '…', client_id: 'skyworth-tv' },
  })

export const DeviceTokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    refresh_token: z.string(),
  })
  .openapi('DeviceTokenResponse')

export const OAuthErrorSchema = z
  .object({
    error: z.string(),
    error_description: z.string(),
    interval: z.number().int().optional(),
  })
  .openapi('OAuthError')
