import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { requireAdmin } from '../http/admin'
import { principalOf, requireDeviceOrUser } from '../http/auth'
import { ApiError } from '../http/errors'
import { idempotent } from '../http/idempotency'
import { access, json, route } from '../http/openapi'
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

const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  content: { 'application/json': { schema } },
  required: true,
})
// Countdowns run from server_time: a cached copy would be wrong by its age.
const NO_STORE = { 'cache-control': 'no-store' }

function detail(deal: DealWithProduct, now: number) {
  return { ...toDealView(deal, now), server_time: iso(now) }
}

const createDealRoute = route({
  operationId: 'createDeal',
  access: access.admin,
  problems: {
    not_found: 'Unknown product',
    conflict: 'the product changed while the deal was created; try again',
  },
  method: 'post',
  path: '/v1/admin/deals',
  tags: ['deals', 'admin'],
  summary: 'Create a group-buy deal (list price is the product price)',
  middleware: [requireAdmin, idempotent] as const,
  request: { body: jsonBody(CreateDealBody) },
  responses: {
    201: json(DealDetailSchema, 'The deal'),
  },
})

const updateDealRoute = route({
  operationId: 'updateDeal',
  access: access.admin,
  problems: {
    not_found: 'Unknown deal',
    deal_not_active: 'the deal has ended',
    conflict: 'stock below units taken, a start that can no longer move, or a concurrent edit',
  },
  method: 'patch',
  path: '/v1/admin/deals/{id}',
  tags: ['deals', 'admin'],
  summary: 'Edit a deal that has not ended (stock never below units reserved or sold)',
  middleware: [requireAdmin] as const,
  request: { params: DealIdParam, body: jsonBody(UpdateDealBody) },
  responses: {
    200: json(DealDetailSchema, 'The deal'),
  },
})

const listRoute = route({
  operationId: 'listDeals',
  access: access.public,
  method: 'get',
  path: '/v1/deals',
  tags: ['deals'],
  summary: 'Deals for a TV rail: active (ending soonest first), upcoming or ended; server time',
  request: { query: DealListQuery },
  responses: { 200: json(DealListSchema, 'A page of deals') },
})

const getRoute = route({
  operationId: 'getDeal',
  access: access.public,
  problems: { not_found: 'Unknown deal' },
  method: 'get',
  path: '/v1/deals/{id}',
  tags: ['deals'],
  summary: 'A deal with its participants, remaining stock, status and the server time',
  request: { params: DealIdParam },
  responses: { 200: json(DealDetailSchema, 'The deal') },
})

const joinRoute = route({
  operationId: 'joinDeal',
  access: access.deviceOrUser,
  problems: {
    not_found: 'Unknown deal or team',
    sold_out: 'no units left',
    limit_exceeded: 'over the per-person limit',
    deal_not_active: 'not started yet, or ended',
    team_full: 'the team has no place left',
    team_closed: 'the team expired or failed',
    already_in_team: 'you already hold a place in this team',
    conflict: 'the deal changed while joining; join again',
    deal_unavailable: 'the deal could not be reached just now; retry after Retry-After',
  },
  method: 'post',
  path: '/v1/deals/{id}/join',
  tags: ['deals'],
  summary: 'Join: units are reserved at once and a manual-capture payment awaits the phone',
  description:
    'Team deals: omit team_code to open a team (its code is in participation.team), ' +
    'or pass a code to join one.',
  middleware: [requireDeviceOrUser, idempotent] as const,
  request: { params: DealIdParam, body: jsonBody(JoinBody) },
  responses: {
    201: json(JoinResponse, 'Joined; the payment awaits confirmation on the phone'),
  },
})

const teamRoute = route({
  operationId: 'getDealTeam',
  access: access.deviceOrUser,
  problems: { not_found: 'No such team in this deal' },
  method: 'get',
  path: '/v1/deals/{id}/teams/{code}',
  tags: ['deals'],
  summary: 'A team by the code someone shared: how many places are left and until when',
  middleware: [requireDeviceOrUser] as const,
  request: { params: TeamParam },
  responses: { 200: json(TeamSchema, 'The team') },
})

const myParticipationsRoute = route({
  operationId: 'listMyDealParticipations',
  access: access.deviceOrUser,
  method: 'get',
  path: '/v1/me/deal-participations',
  tags: ['deals'],
  summary: 'My group-buy places, newest first (a TV sees the places it started)',
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
