import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ADMIN, call } from '../helpers/http'
import { createDeal, HOUR } from './helpers'

describe('deals on the catalog', () => {
  it('the TV home has a deals rail, ending soonest first, no upcoming or ended deals', async () => {
    const now = Date.now()
    const soon = await createDeal({ endsAt: now + HOUR / 2 })
    const later = await createDeal({ endsAt: now + 3 * HOUR })
    const upcoming = await createDeal({ startsAt: now + HOUR, endsAt: now + 2 * HOUR })
    const res = await call('GET', '/v1/home')
    expect(res.status, res.text).toBe(200)
    const rail = res.body.rails.find((r: any) => r.kind === 'deals')
    expect(rail).toMatchObject({ id: 'deals', title: '限时拼团' })
    const ids = rail.items.map((d: any) => d.id)
    expect(ids.indexOf(soon.id)).toBeLessThan(ids.indexOf(later.id))
    expect(ids).not.toContain(upcoming.id)
    expect(rail.items.find((d: any) => d.id === soon.id)).toMatchObject({
      status: 'active',
      ends_at: soon.ends_at,
      deal_price: soon.deal_price,
      list_price: soon.list_price,
    })
  })

  it("a product's detail shows its active deal, and null once the deal is over", async () => {
    const deal = await createDeal()
    const res = await call('GET', `/v1/products/${deal.product.id}`)
    expect(res.status, res.text).toBe(200)
    const shown = { id: deal.id, status: 'active', deal_price: deal.deal_price }
    expect(res.body.active_deal).toMatchObject(shown)

    // Ending it through the admin API bumps the catalog version, so the cached page is not served.
    await env.DB.prepare('UPDATE deals SET starts_at = ? WHERE id = ?')
      .bind(Date.now() - 2 * HOUR, deal.id)
      .run()
    const edit = await call('PATCH', `/v1/admin/deals/${deal.id}`, {
      headers: ADMIN,
      body: { ends_at: new Date(Date.now() + 1500).toISOString() },
    })
    expect(edit.status, edit.text).toBe(200)
    await new Promise((r) => setTimeout(r, 1600))
    await env.DB.prepare('UPDATE catalog_state SET version = version + 1 WHERE id = 1').run()
    const after = await call('GET', `/v1/products/${deal.product.id}`)
    expect(after.body.active_deal).toBeNull()
  })
})

describe('the OpenAPI document', () => {
  it('documents every deals route', async () => {
    const res = await call('GET', '/openapi.json')
    expect(res.status, res.text.slice(0, 300)).toBe(200)
    const paths = [
      '/v1/admin/deals',
      '/v1/admin/deals/{id}',
      '/v1/deals',
      '/v1/deals/{id}',
      '/v1/deals/{id}/join',
      '/v1/deals/{id}/teams/{code}',
      '/v1/me/deal-participations',
    ]
    for (const path of paths) {
      expect(Object.keys(res.body.paths), path).toContain(path)
    }
    expect(res.body.paths['/v1/deals/{id}/join'].post.security).toEqual([{ bearer: [] }])
  })
})
