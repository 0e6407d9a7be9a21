import { randomInt } from 'node:crypto'
import type { BenchRequest } from '../http'
import type { Scenario, ScenarioContext } from './registry'
import { registerScenarioGroup } from './registry'

/**
 * Hot deals: joins against one deal (every join updates the same deals row), against 100 deals,
 * and against a sold-out deal (the flash-sale crowd that arrives after the last unit); plus the
 * TV reads. Each join reserves 1 unit and starts a payment; people join again and again (the cap
 * is set high) so a run needs only a few accounts.
 */
const PEOPLE = 16
const SPREAD = 100
const HOUR = 3600_000

type List<T> = { items: T[]; next_cursor: string | null }
type Product = { id: string; price: { amount: number } }

/**
 * Accounts through the public API. Registration is rate limited per client address, so each
 * account registers from its own (documentation-range) address; phones are random per run
 * because the bench database outlives a run.
 */
async function register(ctx: ScenarioContext, n: number): Promise<string[]> {
  const tokens: string[] = []
  while (tokens.length < n) {
    const phone = `+86139${String(randomInt(0, 1e8)).padStart(8, '0')}`
    const res = await ctx.send('uncached', {
      method: 'POST',
      path: '/v1/auth/register',
      headers: {
        'content-type': 'application/json',
        'cf-connecting-ip': `198.51.100.${tokens.length + 1}`,
      },
      body: JSON.stringify({ phone, password: 'bench password 1234' }),
    })
    if (res.status === 409) continue
    if (res.status !== 201) {
      throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`)
    }
    tokens.push((res.body as { access_token: string }).access_token)
  }
  return tokens
}

async function createDeal(ctx: ScenarioContext, product: Product, stock: number): Promise<string> {
  const now = Date.now()
  const res = await ctx.send('uncached', {
    method: 'POST',
    path: '/v1/admin/deals',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${ctx.server.adminToken}`,
    },
    body: JSON.stringify({
      product_id: product.id,
      deal_price: { amount: product.price.amount - 1, currency: 'CNY' },
      starts_at: new Date(now - 60_000).toISOString(),
      ends_at: new Date(now + HOUR).toISOString(),
      min_group_size: 1_000_000,
      stock,
      max_per_user: stock,
    }),
  })
  if (res.status !== 201) {
    throw new Error(`deal creation answered ${res.status}: ${JSON.stringify(res.body)}`)
  }
  return (res.body as { id: string }).id
}

function joinRequest(dealId: string, token: string): BenchRequest {
  return {
    method: 'POST',
    path: `/v1/deals/${dealId}/join`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: '{"quantity":1}',
  }
}

registerScenarioGroup({
  name: 'deals',
  async setup(ctx) {
    const list = await ctx.getJson<List<Product>>('uncached', '/v1/products?limit=50')
    const products = list.items.filter((p) => p.price.amount >= 2)
    if (products.length === 0) throw new Error('the bench database has no products to put on deal')
    const tokens = await register(ctx, PEOPLE)
    const hot = await createDeal(ctx, products[0]!, 1_000_000)
    const spread: string[] = []
    for (let k = 0; k < SPREAD; k++) {
      spread.push(await createDeal(ctx, products[k % products.length]!, 1_000_000))
    }
    const soldOut = await createDeal(ctx, products[0]!, 1)
    const last = await ctx.send('uncached', joinRequest(soldOut, tokens[0]!))
    if (last.status !== 201) throw new Error(`could not sell the last unit: ${last.status}`)
    ctx.log(`  ${PEOPLE} accounts, ${SPREAD + 2} deals`)

    const person = (i: number) => tokens[i % PEOPLE]!
    // Every request with a token first reads whether its session (a user's refresh family, or a
    // TV's pairing) is still live: one indexed read, 1-2 rows (src/http/auth.ts).
    const AUTH = { d1Queries: 1, rowsRead: 2 }
    const scenarios: Scenario[] = [
      {
        name: 'deal join',
        target: 'uncached',
        note: 'one deal: every join reserves on the same row, a payment per join',
        request: (i) => joinRequest(hot, person(i)),
        ok: (status) => status === 201,
        targets: { d1Queries: AUTH.d1Queries + 2, rowsRead: AUTH.rowsRead + 16 },
      },
      {
        name: `deal join ${SPREAD} deals`,
        target: 'uncached',
        note: `joins spread over ${SPREAD} deals: same work, no shared row`,
        request: (i) => joinRequest(spread[i % SPREAD]!, person(i)),
        ok: (status) => status === 201,
        targets: { d1Queries: AUTH.d1Queries + 2, rowsRead: AUTH.rowsRead + 16 },
      },
      {
        name: 'deal join sold out',
        target: 'uncached',
        note: 'the crowd after the last unit: 409 sold_out from one read, nothing written',
        request: (i) => joinRequest(soldOut, person(i)),
        ok: (status) => status === 409,
        targets: { d1Queries: AUTH.d1Queries + 1, rowsRead: AUTH.rowsRead + 3 },
      },
      {
        name: 'deal detail',
        target: 'uncached',
        note: 'GET /v1/deals/{id}: counters, status, server time',
        request: () => ({ path: `/v1/deals/${hot}` }),
        targets: { d1Queries: 1, rowsRead: 3 },
      },
      {
        name: 'deals rail',
        target: 'uncached',
        note: 'GET /v1/deals?status=active, 20 ending soonest',
        request: () => ({ path: '/v1/deals?status=active&limit=20' }),
        targets: { d1Queries: 1, rowsRead: 2 * 20 + 10 },
      },
    ]
    return scenarios
  },
})
