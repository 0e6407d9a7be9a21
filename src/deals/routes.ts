import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { requireAdmin } from '../http/admin'
import { principalOf, requireDeviceOrUser } from '../http/auth'
import { ApiError } from '../http/errors'
import { idempotent } from '../http/idempotency'
import { json, problem } from '../http/openapi'
import { CursorQuery, LimitQuery, listSchema } from '../lib/pagination'
import { iso } from '../lib/time'
import { toPaymentView } from '../payments'
import { createDeal, updateDeal } from './admin'
// Registers the deals home rail and the product's active_deal with the catalog.
import { joinDeal, toParticipationView } from './join'
import {
  CreateDealBody,
  DealDetailSchema,
  DealIdParam,
  DealListQuery,
  DealListSchema,
  JoinBody,
  JoinResponse,
  ParticipationSchema,
  TeamParam,
  TeamSchema,
  UpdateDealBody,
} from './schemas'
import { findDeal, listDeals, listParticipations, toDealView, type DealWithProduct } from './store'
import { findTeamByCode, toTeamView } from './teams'

const bearer = [{ bearer: [] }]
const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  content: { 'application/json': { schema } },
  required: true,
})
const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description: 'Idempotency-Key: replays the first response for 24 h',
    }),
})
// Countdowns run from server_time: a cached copy would be wrong by its age.
const NO_STORE = { 'cache-control': 'no-store' }

function detail(deal: DealWithProduct, now: number) {
  return { ...toDealView(deal, now), server_time: iso(now) }
}

const createDealRoute = createRoute({
  method: 'post',
  path: '/v1/admin/deals',
  tags: ['deals', 'admin'],
  summary: 'Create a group-buy deal (list price is the product price)',
  security: bearer,
  middleware: [requireAdmin, idempotent] as const,
  request: { headers: idempotencyHeader, body: jsonBody(CreateDealBody) },
  responses: {
    201: json(DealDetailSchema, 'The deal'),
    400: problem('validation_failed'),
    401: problem('Admin token required'),
    404: problem('Unknown product'),
  },
})

const updateDealRoute = createRoute({
  method: 'patch',
  path: '/v1/admin/deals/{id}',
  tags: ['deals', 'admin'],
  summary: 'Edit a deal that has not ended (stock never below units reserved or sold)',
  security: bearer,
  middleware: [requireAdmin] as const,
  request: { params: DealIdParam, body: jsonBody(UpdateDealBody) },
  responses: {
    200: json(DealDetailSchema, 'The deal'),
    400: problem('validation_failed'),
    404: problem('Unknown deal'),
    409: problem('deal_not_active, or conflict (stock below units taken, concurrent edit)'),
  },
})

const listRoute = createRoute({
  method: 'get',
  path: '/v1/deals',
  tags: ['deals'],
  summary: 'Deals for a TV rail: active (ending soonest first), upcoming or ended; server time',
  request: { query: DealListQuery },
  responses: { 200: json(DealListSchema, 'A page of deals') },
})

const getRoute = createRoute({
  method: 'get',
  path: '/v1/deals/{id}',
  tags: ['deals'],
  summary: 'A deal with its participants, remaining stock, status and the server time',
  request: { params: DealIdParam },
  responses: { 200: json(DealDetailSchema, 'The deal'), 404: problem('Unknown deal') },
})

const joinRoute = createRoute({
  method: 'post',
  path: '/v1/deals/{id}/join',
  tags: ['deals'],
  summary: 'Join: units are reserved at once and a manual-capture payment awaits the phone',
  description:
    'Team deals: omit team_code to open a team (its code is in participation.team), ' +
    'or pass a code to join one.',
  security: bearer,
  middleware: [requireDeviceOrUser, idempotent] as const,
  request: { params: DealIdParam, headers: idempotencyHeader, body: jsonBody(JoinBody) },
  responses: {
    201: json(JoinResponse, 'Joined; the payment awaits confirmation on the phone'),
    400: problem('validation_failed'),
    404: problem('Unknown deal or team'),
    409: problem(
      'sold_out, limit_exceeded, deal_not_active, team_full, team_closed, already_in_team',
    ),
  },
})

const teamRoute = createRoute({
  method: 'get',
  path: '/v1/deals/{id}/teams/{code}',
  tags: ['deals'],
  summary: 'A team by the code someone shared: how many places are left and until when',
  security: bearer,
  middleware: [requireDeviceOrUser] as const,
  request: { params: TeamParam },
  responses: { 200: json(TeamSchema, 'The team'), 404: problem('No such team in this deal') },
})

const myParticipationsRoute = createRoute({
  method: 'get',
  path: '/v1/me/deal-participations',
  tags: ['deals'],
  summary: 'My group-buy places, newest first (a TV sees the places it started)',
  security: bearer,
  middleware: [requireDeviceOrUser] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: {
    200: json(listSchema(ParticipationSchema, 'DealParticipationList'), 'A page of places'),
  },
})

export const dealRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createDealRoute, async (c) => {
    const now = Date.now()
    const deal = await createDeal(c.env, c.req.valid('json'), now)
    return c.json(detail(deal, now), 201)
  })
  .openapi(updateDealRoute, async (c) => {
    const now = Date.now()
    const deal = await updateDeal(c.env, c.req.valid('param').id, c.req.valid('json'), now)
    return c.json(detail(deal, now), 200)
  })
  .openapi(listRoute, async (c) => {
    const now = Date.now()
    const { status, limit, cursor } = c.req.valid('query')
    const page = await listDeals(c.env.DB, status, { limit, cursor }, now)
    const items = page.items.map((d) => toDealView(d, now))
    const body = { items, next_cursor: page.nextCursor, server_time: iso(now) }
    return c.json(body, 200, NO_STORE)
  })
  .openapi(getRoute, async (c) => {
    const now = Date.now()
    const deal = await findDeal(c.env.DB, c.req.valid('param').id)
    if (!deal) throw new ApiError('not_found', 'No such deal')
    return c.json(detail(deal, now), 200, NO_STORE)
  })
  .openapi(joinRoute, async (c) => {
    const now = Date.now()
    const { quantity, team_code } = c.req.valid('json')
    const idempotencyKey = c.req.header('idempotency-key')
    const input = { quantity, teamCode: team_code, idempotencyKey }
    const joined = await joinDeal(c.env, principalOf(c), c.req.valid('param').id, input, now)
    const body = {
      participation: toParticipationView(joined.participation, joined.team, now),
      payment: await toPaymentView(c.env, joined.payment, now),
    }
    return c.json(body, 201)
  })
  .openapi(myParticipationsRoute, async (c) => {
    const now = Date.now()
    const principal = principalOf(c)
    const page = await listParticipations(
      c.env.DB,
      {
        userId: principal.userId,
        deviceId: principal.kind === 'device' ? principal.deviceId : undefined,
      },
      c.req.valid('query'),
    )
    const items = page.items.map((p) => toParticipationView(p, p.team, now))
    return c.json({ items, next_cursor: page.nextCursor }, 200)
  })
  .openapi(teamRoute, async (c) => {
    const { id, code } = c.req.valid('param')
    const team = await findTeamByCode(c.env.DB, id, code)
    return c.json(toTeamView(team, Date.now()), 200, NO_STORE)
  })
