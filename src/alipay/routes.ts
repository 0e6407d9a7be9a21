import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { principalOf, requireDeviceOrUser } from '../http/auth'
import { access, json, route } from '../http/openapi'
import { handleAlipayNotify, startAlipay } from '../payments'
import { purposes } from '../wiring'
import { NOTIFY_PATH } from './config'

const AlipayQrSchema = z
  .object({
    qr_code: z.string().openapi({ example: 'https://qr.alipay.com/bax03431ljhokirwl38f00a7' }),
    out_trade_no: z.string().openapi({ example: 'pay_01jz3k4m5n6p7q8r9s0t1v2w3x' }),
    expires_at: z.string().openapi({ description: 'The QR code pays until then (RFC 3339)' }),
  })
  .openapi('AlipayQr')

const startRoute = route({
  operationId: 'startAlipayPayment',
  access: access.deviceOrUser,
  problems: {
    not_found: 'Unknown, not yours, or a TV of the household that did not start it',
    provider_unsupported: 'a held (deal) payment cannot be paid by Alipay',
    payment_expired: 'start a new payment from the TV',
    payment_not_confirmable: 'the payment is no longer open',
    provider_error: 'Alipay is down or refusing; the phone can still confirm',
    provider_unavailable: 'Alipay is not configured on this server',
  },
  method: 'post',
  path: '/v1/payments/{id}/alipay',
  tags: ['payments'],
  summary: 'Alipay face-to-face: a QR code for the TV (the starting device or its user)',
  middleware: [requireDeviceOrUser] as const,
  request: {
    params: z.object({
      id: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'id', in: 'path' }, example: 'pay_01jz3k4m5n6p7q8r9s0t1v2w3x' }),
    }),
  },
  responses: {
    200: json(AlipayQrSchema, 'The QR code asked for before, still valid'),
    201: json(AlipayQrSchema, 'A new QR code (alipay.trade.precreate)'),
  },
})

const failText = { 'text/plain': { schema: z.literal('fail') } }

const notifyRoute = route({
  operationId: 'receiveAlipayNotify',
  // Alipay signs the form body (RSA2): checked by the handler, not by a credential header.
  access: access.public,
  method: 'post',
  path: NOTIFY_PATH,
  tags: ['payments'],
  summary: "Alipay's asynchronous notify (form-encoded, RSA2-signed by Alipay)",
  description:
    'Answers the body `success` when taken (or already taken), `fail` (400) when the signature, ' +
    'app_id, out_trade_no or total_amount do not check out.',
  responses: {
    // Alipay reads the text body, not problem+json.
    200: { description: '`success`', content: { 'text/plain': { schema: z.literal('success') } } },
    400: { description: '`fail`: not a notify we can trust', content: failText },
    502: { description: '`fail`: taken but not settled yet; Alipay retries', content: failText },
  },
})

export const alipayRoutes = new OpenAPIHono<AppEnv>()
  .openapi(startRoute, async (c) => {
    const { id } = c.req.valid('param')
    const { qr, created } = await startAlipay(c.env, purposes, principalOf(c), id, Date.now())
    return c.json(qr, created ? 201 : 200)
  })
  .openapi(notifyRoute, async (c) => {
    const form = await c.req.parseBody()
    const fields: Record<string, string> = {}
    for (const [k, v] of Object.entries(form)) if (typeof v === 'string') fields[k] = v
    const { status, body } = await handleAlipayNotify(c.env, purposes, fields, Date.now())
    return c.text(body, status) as never // one of the three text answers declared above
  })
