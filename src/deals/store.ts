import type { RowOf } from '../db/rows'
import type { dealParticipations, deals, dealTeams } from '../db/schema/deals'
import { z } from '@hono/zod-openapi'
import { money } from '../lib/money'
import { keyset, keysetClause, keysetPage, newestFirst } from '../lib/pagination'
import { iso } from '../lib/time'
import type { DealStatus, DealView, ParticipationStatus } from './schemas'

export type DealRow = RowOf<typeof deals>

/** A deal row with the product columns the views show, read in the same statement. */
export type DealWithProduct = DealRow & {
  product_title: string
  product_brand: string
  product_price: number
  product_image: string | null
}

export type ParticipationRow = RowOf<typeof dealParticipations>

export type TeamRow = RowOf<typeof dealTeams>

/** The columns every deal view reads; `d` is deals, `p` is products. */
export const DEAL_COLUMNS = `d.*, p.title AS product_title, p.brand AS product_brand,
  p.price AS product_price, p.image AS product_image`

export function dealStatus(deal: DealRow, now: number): DealStatus {
  if (deal.phase !== 'open') return deal.phase
  if (now < deal.starts_at) return 'upcoming'
  // Ended but not yet closed by the cron: its outcome is already decided by tipped_at.
  if (now >= deal.ends_at) return deal.tipped_at === null ? 'failed' : 'succeeded'
  if (deal.reserved + deal.sold >= deal.stock) return 'sold_out'
  return deal.tipped_at === null ? 'active' : 'tipped'
}

/** Joinable now, as far as the row says (the join's SQL guard has the last word). */
export function isJoinable(deal: DealRow, now: number): boolean {
  return deal.phase === 'open' && deal.starts_at <= now && now < deal.ends_at
}

function parseImage(json: string | null): DealView['product']['image'] {
  if (!json) return null
  try {
    const image = JSON.parse(json) as { url?: unknown; width?: unknown; height?: unknown }
    if (typeof image.url !== 'string') return null
    return { url: image.url, width: Number(image.width) || 0, height: Number(image.height) || 0 }
  } catch {
    return null
  }
}

export function toDealView(deal: DealWithProduct, now: number): DealView {
  return {
    id: deal.id,
    product: {
      id: deal.product_id,
      title: deal.product_title,
      brand: deal.product_brand,
      price: money(deal.product_price),
      image: parseImage(deal.product_image),
    },
    mode: deal.mode,
    deal_price: money(deal.deal_price),
    list_price: money(deal.list_price),
    starts_at: iso(deal.starts_at),
    ends_at: iso(deal.ends_at),
    min_group_size: deal.min_group_size,
    participants: deal.participants,
    stock: deal.stock,
    stock_remaining: Math.max(0, deal.stock - deal.reserved - deal.sold),
    max_per_user: deal.max_per_user,
    team_size: deal.team_size,
    team_window_seconds:
      deal.team_window_ms === null ? null : Math.round(deal.team_window_ms / 1000),
    status: dealStatus(deal, now),
    tipped_at: deal.tipped_at === null ? null : iso(deal.tipped_at),
  }
}

export async function findDeal(d1: D1Database, dealId: string): Promise<DealWithProduct | null> {
  return d1
    .prepare(
      `SELECT ${DEAL_COLUMNS} FROM deals d JOIN products p ON p.id = d.product_id WHERE d.id = ?`,
    )
    .bind(dealId)
    .first<DealWithProduct>()
}

export async function findParticipation(
  d1: D1Database,
  id: string,
): Promise<ParticipationRow | null> {
  const read = d1.prepare('SELECT * FROM deal_participations WHERE id = ?').bind(id)
  return read.first<ParticipationRow>()
}

/** Participations by id, read 100 at a time (D1 binds at most 100 parameters a query). */
export async function findParticipations(
  d1: D1Database,
  ids: string[],
): Promise<Map<string, ParticipationRow>> {
  const out = new Map<string, ParticipationRow>()
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100)
    const { results } = await d1
      .prepare(`SELECT * FROM deal_participations WHERE id IN (${chunk.map(() => '?').join(',')})`)
      .bind(...chunk)
      .all<ParticipationRow>()
    for (const r of results) out.set(r.id, r)
  }
  return out
}

export async function findTeam(d1: D1Database, teamId: string): Promise<TeamRow | null> {
  return d1.prepare('SELECT * FROM deal_teams WHERE id = ?').bind(teamId).first<TeamRow>()
}

export type DealListFilter = 'active' | 'upcoming' | 'ended'

/** A rail's order: by one of the deal's times, then id; the cursor is the last deal's pair. */
function byTime(key: 'ends_at' | 'starts_at', dir: 'ASC' | 'DESC') {
  return keyset({
    columns: [`d.${key}`, 'd.id'],
    dir,
    cursor: z.tuple([z.number().int(), z.string()]),
    cursorOf: (deal: DealWithProduct) => [deal[key], deal.id],
  })
}

const RAILS = {
  active: byTime('ends_at', 'ASC'),
  upcoming: byTime('starts_at', 'ASC'),
  ended: byTime('ends_at', 'DESC'),
}

/**
 * One keyset page per rail. active: started, not ended, ending soonest first (deals_ends_idx);
 * upcoming: starting soonest first (deals_starts_idx); ended: most recently ended first.
 */
export async function listDeals(
  d1: D1Database,
  filter: DealListFilter,
  opts: { limit: number; cursor?: string },
  now: number,
): Promise<{ items: DealWithProduct[]; nextCursor: string | null }> {
  const rail = RAILS[filter]
  const page = keysetClause(rail, opts.cursor)
  const where = {
    active: { sql: 'd.ends_at > ? AND d.starts_at <= ?', params: [now, now] },
    upcoming: { sql: 'd.starts_at > ?', params: [now] },
    ended: { sql: 'd.ends_at <= ?', params: [now] },
  }[filter]
  const { results } = await d1
    .prepare(
      `SELECT ${DEAL_COLUMNS} FROM deals d JOIN products p ON p.id = d.product_id
       WHERE ${[where.sql, page.after].filter(Boolean).join(' AND ')}
       ORDER BY ${page.orderBy} LIMIT ?`,
    )
    .bind(...where.params, ...page.params, opts.limit + 1)
    .all<DealWithProduct>()
  const rows = keysetPage(results, opts.limit, (d) => d, rail)
  return { items: rows.items, nextCursor: rows.next_cursor }
}

export type ParticipationWithTeam = ParticipationRow & { team: TeamRow | null }

/**
 * A person's places, newest first (keyset on created_at, id over deal_participations_user_idx);
 * a TV sees the places it started, like its orders.
 */
export async function listParticipations(
  d1: D1Database,
  principal: { userId: string; deviceId?: string },
  opts: { limit: number; cursor?: string },
): Promise<{ items: ParticipationWithTeam[]; nextCursor: string | null }> {
  const page = keysetClause(newestFirst, opts.cursor)
  const where = ['user_id = ?']
  const params: unknown[] = [principal.userId]
  if (principal.deviceId) {
    where.push('started_by_device_id = ?')
    params.push(principal.deviceId)
  }
  if (page.after) where.push(page.after)
  const { results } = await d1
    .prepare(
      `SELECT * FROM deal_participations WHERE ${where.join(' AND ')}
       ORDER BY ${page.orderBy} LIMIT ?`,
    )
    .bind(...params, ...page.params, opts.limit + 1)
    .all<ParticipationRow>()
  const rows = keysetPage(results, opts.limit, (p) => p, newestFirst)
  const places = rows.items
  const teamIds = [
    ...new Set(places.map((p) => p.team_id).filter((id): id is string => id !== null)),
  ]
  const teams = new Map<string, TeamRow>()
  if (teamIds.length > 0) {
    const { results: rows } = await d1
      .prepare(`SELECT * FROM deal_teams WHERE id IN (${teamIds.map(() => '?').join(', ')})`)
      .bind(...teamIds)
      .all<TeamRow>()
    for (const t of rows) teams.set(t.id, t)
  }
  return {
    items: places.map((p) => ({ ...p, team: p.team_id ? (teams.get(p.team_id) ?? null) : null })),
    nextCursor: rows.next_cursor,
  }
}
