import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { principalOf, requireDeviceOrUser } from '../http/auth'
import { ApiError } from '../http/errors'
import { access, json, route } from '../http/openapi'
import { connect } from './push'
import { issueTicket, redeemTicket } from './tickets'

const TicketSchema = z
  .object({
    ticket: z.string().openapi({ description: 'Opens one channel socket, once' }),
    expires_in: z.number().int().openapi({ example: 60, description: 'Seconds' }),
  })
  .openapi('ChannelTicket')

const createTicket = route({
  operationId: 'createChannelTicket',
  access: access.deviceOrUser,
  rateLimited: 'too many unused tickets; one expires in Retry-After seconds',
  method: 'post',
  path: '/v1/channel/tickets',
  tags: ['channel'],
  summary: 'A single-use, 60-second ticket for GET /v1/channel (phone or TV)',
  middleware: [requireDeviceOrUser] as const,
  responses: {
    201: json(TicketSchema, 'Use it within expires_in seconds, once'),
  },
})

const openChannel = route({
  operationId: 'openChannel',
  // The single-use ticket in the query is the credential: access tokens never go in a URL.
  access: access.public,
  problems: {
    invalid_ticket: 'unknown, used or expired; get a new one',
    invalid_token: 'the ticket holder may no longer connect (signed out, unpaired)',
    upgrade_required: 'not a WebSocket upgrade',
  },
  method: 'get',
  path: '/v1/channel',
  tags: ['channel'],
  summary: "Join the household's channel (WebSocket; messages: docs/channel.md)",
  description:
    'Send `Upgrade: websocket`. The ticket comes from POST /v1/channel/tickets; access tokens ' +
    'never travel in this URL.',
  request: {
    query: z.object({
      ticket: z
        .string()
        .optional()
        .openapi({ param: { name: 'ticket', in: 'query' }, description: 'From POST tickets' }),
    }),
  },
  responses: {
    101: { description: 'Switching protocols: the socket is joined to the household' },
  },
})

export const channelRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createTicket, async (c) => {
    const ticket = await issueTicket(c.env, principalOf(c), Date.now())
    c.header('cache-control', 'no-store')
    return c.json(ticket, 201)
  })
  .openapi(openChannel, async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw new ApiError(
        'upgrade_required',
        'Open this URL as a WebSocket',
        {},
        {
          upgrade: 'websocket',
        },
      )
    }
    const holder = await redeemTicket(c.env, c.req.valid('query').ticket, Date.now())
    if (!holder) {
      throw new ApiError('invalid_ticket', 'The ticket is unknown, used or expired; get a new one')
    }
    return connect(c.env, holder) as never
  })
