import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { toStatements } from '../../src/catalog/product-rows'
import { catalogSeed } from '../../scripts/seed/catalog-sql'
import { dealsSeed } from '../../scripts/seed/deals'
import { call } from '../helpers/http'

async function runSeed(now: number) {
  const ctx = { seed: 'deals-seed-test', products: 300, now }
  for (const module of [catalogSeed, dealsSeed]) {
    for (const unit of module.units(ctx)) await env.DB.batch(toStatements(env.DB, unit))
  }
}

describe('demo deals seed', () => {
  it('writes live, upcoming and team deals below list; re-seeding keeps joined deals', async () => {
    const now = Date.now()
    await runSeed(now)
    const { results } = await env.DB.prepare('SELECT * FROM deals ORDER BY id').all<any>()
    expect(results).toHaveLength(5)
    for (const d of results) expect(d.deal_price).toBeLessThan(d.list_price)
    expect(results.filter((d) => d.mode === 'team')).toHaveLength(1)

    const active = await call('GET', '/v1/deals?status=active&limit=50')
    expect(active.body.items).toHaveLength(4)
    const upcoming = await call('GET', '/v1/deals?status=upcoming')
    expect(upcoming.body.items).toHaveLength(1)

    await env.DB.prepare('UPDATE deals SET reserved = 2 WHERE id = ?').bind(results[0].id).run()
    await runSeed(now + 60_000)
    const again = await env.DB.prepare('SELECT * FROM deals ORDER BY id').all<any>()
    expect(again.results).toHaveLength(5)
    expect(again.results[0]).toMatchObject({ reserved: 2, starts_at: results[0].starts_at })
  })
})
