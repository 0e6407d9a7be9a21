import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { dealsWithWork } from '../../src/deals/settlement-queue'
import { DEAL_COLUMNS, listDeals, listParticipations } from '../../src/deals/store'
import { encodeCursor } from '../../src/lib/pagination'
import { plansOf } from '../helpers/plans'

async function plan(sql: string, ...params: unknown[]) {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>()
  return results.map((r) => r.detail).join(' | ')
}

const FROM = `SELECT ${DEAL_COLUMNS} FROM deals d JOIN products p ON p.id = d.product_id`

/** Every hot deals query reads through an index: no full scan of a growing table, no temp sort. */
const cases: [string, string, unknown[], RegExp][] = [
  ['deal by id', `${FROM} WHERE d.id = ?`, ['d'], /SEARCH d USING INDEX sqlite_autoindex_deals_1/],
  [
    'home rail',
    `${FROM} WHERE d.phase = 'open' AND d.ends_at > ? AND d.starts_at <= ?
     ORDER BY d.ends_at, d.id LIMIT ?`,
    [0, 0, 10],
    /SEARCH d USING INDEX deals_(ends|closing)_idx/,
  ],
  [
    'active deal of a product',
    `${FROM} WHERE d.product_id = ? AND d.phase = 'open' AND d.ends_at > ? AND d.starts_at <= ?
     ORDER BY d.ends_at LIMIT 1`,
    ['p', 0, 0],
    /SEARCH d USING INDEX deals_product_idx/,
  ],
  [
    'participation',
    'SELECT * FROM deal_participations WHERE id = ?',
    ['x'],
    /sqlite_autoindex_deal_participations_1/,
  ],
  [
    'team by code',
    'SELECT * FROM deal_teams WHERE code = ? AND deal_id = ?',
    ['ABCDEF', 'd'],
    /USING INDEX deal_teams_code_uq/,
  ],
  [
    'deals to close',
    `SELECT id FROM deals WHERE phase = 'open' AND ends_at <= ? ORDER BY ends_at LIMIT ?`,
    [0, 50],
    /USING (COVERING )?INDEX deals_closing_idx/,
  ],
  [
    'teams to fail',
    `SELECT id FROM deal_teams WHERE phase = 'forming' AND expires_at <= ? LIMIT ?`,
    [0, 500],
    /USING (COVERING )?INDEX deal_teams_expiry_idx/,
  ],
  [
    'forming teams of a deal (close, shorten)',
    `UPDATE deal_teams SET phase = 'failed' WHERE deal_id = ? AND phase = 'forming'`,
    ['d'],
    /SEARCH deal_teams USING INDEX deal_teams_deal_idx/,
  ],
  [
    'deals to mark settled',
    `SELECT id FROM deals WHERE phase <> 'open' AND settled_at IS NULL AND reserved = 0`,
    [],
    /USING INDEX deals_unsettled_idx/,
  ],
]

/** The lists and the cron's search for settlement work, planned from the statements the code builds. */
const later = encodeCursor([1, 'x'])
const lists: [string, (env: Env) => Promise<unknown>, RegExp][] = [
  [
    'active rail',
    (e) => listDeals(e.DB, 'active', { limit: 20 }, 0),
    /SEARCH d USING INDEX deals_ends_idx/,
  ],
  [
    'active rail, a later page',
    (e) => listDeals(e.DB, 'active', { limit: 20, cursor: later }, 0),
    /SEARCH d USING INDEX deals_ends_idx/,
  ],
  [
    'upcoming rail',
    (e) => listDeals(e.DB, 'upcoming', { limit: 20 }, 0),
    /SEARCH d USING INDEX deals_starts_idx/,
  ],
  [
    'upcoming rail, a later page',
    (e) => listDeals(e.DB, 'upcoming', { limit: 20, cursor: later }, 0),
    /SEARCH d USING INDEX deals_starts_idx/,
  ],
  [
    'ended rail',
    (e) => listDeals(e.DB, 'ended', { limit: 20 }, 0),
    /SEARCH d USING INDEX deals_ends_idx/,
  ],
  [
    'ended rail, a later page',
    (e) => listDeals(e.DB, 'ended', { limit: 20, cursor: later }, 0),
    /SEARCH d USING INDEX deals_ends_idx/,
  ],
  [
    'my places',
    (e) => listParticipations(e.DB, { userId: 'u', deviceId: 'd' }, { limit: 20 }),
    /USING INDEX deal_participations_user_idx/,
  ],
  [
    'my places, a later page',
    (e) => listParticipations(e.DB, { userId: 'u' }, { limit: 20, cursor: later }),
    /USING INDEX deal_participations_user_idx \(user_id=\? AND \(created_at,id\)<\(\?,\?\)\)/,
  ],
  [
    'deals with settlement work (the cron enqueues them)',
    (e) => dealsWithWork(e.DB, 200),
    /SCAN deals USING INDEX deals_open_units_idx.*SCAN deal_teams USING INDEX deal_teams_release_idx/,
  ],
]

describe('query plans', () => {
  for (const [name, sql, params, expected] of cases) {
    it(name, async () => {
      const detail = await plan(sql, ...params)
      expect(detail, detail).toMatch(expected)
      expect(detail, detail).not.toMatch(/USE TEMP B-TREE/)
    })
  }
  for (const [name, read, expected] of lists) {
    it(name, async () => {
      const plans = await plansOf(read)
      expect(plans).toHaveLength(1)
      expect(plans[0]).toMatch(expected)
      expect(plans[0]).not.toMatch(/USE TEMP B-TREE/)
    })
  }
})
