// Hot deals: how many joins a second one deal takes, and 100 deals, through the real Worker
// (bundled by wrangler, run by Miniflare on a disk-backed local D1). Usage:
//   npx tsx bench/deals-join.ts [joins=2000] [concurrency=50]
// Figures are for this machine and local D1 (SQLite in-process); see docs/deals.md for what they
// say about production D1.
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { Miniflare } from 'miniflare'
import { signAccessToken, USER_AUDIENCE } from '../src/auth/tokens'

const JOINS = Number(process.argv[2] ?? 2000)
const CONCURRENCY = Number(process.argv[3] ?? 50)
const ADMIN_TOKEN = randomBytes(24).toString('base64url')
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' }
const JWT_KEYS = JSON.stringify({ keys: [jwk] })
const JWT_ISSUER = 'https://tvpay.example'

const work = mkdtempSync(path.join(tmpdir(), 'tvpay-deals-bench-'))
// wrangler.toml's [assets] directory must exist for the bundle to build.
execFileSync('node', ['scripts/build-web.mjs'], { stdio: 'ignore' })
const build = ['wrangler', 'deploy', '--dry-run', '--outdir', path.join(work, 'build')]
execFileSync('npx', build, { stdio: 'ignore' })
const mf = new Miniflare({
  modules: true,
  modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }],
  scriptPath: path.join(work, 'build', 'index.js'),
  modulesRoot: path.join(work, 'build'),
  compatibilityDate: '2026-04-20',
  compatibilityFlags: ['nodejs_compat'],
  d1Databases: { DB: 'bench-db' },
  d1Persist: path.join(work, 'd1'),
  durableObjects: { PAYMENT_WAITS: 'PaymentWaits' },
  bindings: {
    ADMIN_TOKEN,
    JWT_KEYS,
    JWT_ISSUER,
    PUBLIC_BASE_URL: JWT_ISSUER,
    PIN_PEPPER: randomBytes(32).toString('base64url'),
    PAYMENT_TTL_SECONDS: '600',
  },
})

try {
  const db = await mf.getD1Database('DB')
  for (const migration of await readD1Migrations('migrations')) {
    for (const query of migration.queries) await db.prepare(query).run()
  }
  const now = Date.now()

  const users: { id: string; token: string }[] = []
  const userRows = []
  for (let i = 0; i < JOINS; i++) {
    const id = `usr_bench${String(i).padStart(6, '0')}`
    // A user token names its live session (a refresh family, src/auth/refresh.ts).
    const familyId = `rtk_bench${String(i).padStart(6, '0')}`
    const claims = { aud: USER_AUDIENCE, sub: id, sid: familyId } as const
    const token = await signAccessToken({ JWT_KEYS, JWT_ISSUER }, claims)
    users.push({ id, token })
    const phone = `+861390${String(i).padStart(7, '0')}`
    userRows.push(
      db
        .prepare('INSERT INTO users (id, phone, password_hash, created_at) VALUES (?, ?, ?, ?)')
        .bind(id, phone, 'x', now),
      db
        .prepare(
          `INSERT INTO refresh_tokens (id, family_id, user_id, device_id, token_hash, created_at, expires_at)
           VALUES (?, ?, ?, NULL, ?, ?, ?)`,
        )
        .bind(familyId, familyId, id, `bench-hash-${i}`, now, now + 30 * 24 * 3600 * 1000),
    )
  }
  for (let i = 0; i < userRows.length; i += 500) await db.batch(userRows.slice(i, i + 500))

  const call = (pathname: string, init: { method: string; token: string; body?: unknown }) =>
    mf.dispatchFetch(`http://bench.local${pathname}`, {
      method: init.method,
      headers: { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })

  const category = await call('/v1/admin/categories', {
    method: 'POST',
    token: ADMIN_TOKEN,
    body: { categories: [{ slug: 'bench', name: 'Bench' }] },
  })
  if (category.status !== 200) {
    throw new Error(`category: ${category.status} ${await category.text()}`)
  }

  let productSeq = 0
  async function newDeal(stock: number): Promise<string> {
    const product = await call('/v1/admin/products', {
      method: 'POST',
      token: ADMIN_TOKEN,
      body: {
        products: [
          {
            sku: `BENCH-${++productSeq}`,
            title: '小米电视 65 英寸',
            brand: 'tvpay',
            price: { amount: 200000, currency: 'CNY' },
            category_slug: 'bench',
            stock: 1000,
          },
        ],
      },
    })
    if (product.status !== 200) {
      throw new Error(`product: ${product.status} ${await product.text()}`)
    }
    const productId = ((await product.json()) as { items: { id: string }[] }).items[0]!.id
    const res = await call('/v1/admin/deals', {
      method: 'POST',
      token: ADMIN_TOKEN,
      body: {
        product_id: productId,
        deal_price: { amount: 99900, currency: 'CNY' },
        starts_at: new Date(now - 60_000).toISOString(),
        ends_at: new Date(now + 3600_000).toISOString(),
        min_group_size: 10,
        stock,
        max_per_user: 1,
      },
    })
    if (res.status !== 201) throw new Error(`deal: ${res.status} ${await res.text()}`)
    return ((await res.json()) as { id: string }).id
  }

  /** The same load as a join, but GET /v1/deals/{id}: one D1 read, no write. */
  async function readBaseline(dealId: string) {
    let next = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < JOINS) {
          next++
          const res = await call(`/v1/deals/${dealId}`, { method: 'GET', token: users[0]!.token })
          await res.arrayBuffer()
        }
      }),
    )
    const seconds = (performance.now() - started) / 1000
    const perSecond = Math.round(JOINS / seconds)
    const scenario = 'baseline: GET /v1/deals/{id}'
    console.log(JSON.stringify({ scenario, requests: JOINS, per_second: perSecond }))
  }

  async function scenario(name: string, dealIds: string[]) {
    const latencies: number[] = []
    const statuses = new Map<string, number>()
    let next = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < JOINS) {
          const i = next++
          const t0 = performance.now()
          const res = await call(`/v1/deals/${dealIds[i % dealIds.length]}/join`, {
            method: 'POST',
            token: users[i]!.token,
            body: { quantity: 1 },
          })
          const body = (await res.json()) as { code?: string }
          latencies.push(performance.now() - t0)
          const key = res.status === 201 ? '201' : `${res.status} ${body.code}`
          statuses.set(key, (statuses.get(key) ?? 0) + 1)
        }
      }),
    )
    const seconds = (performance.now() - started) / 1000
    latencies.sort((a, b) => a - b)
    const pct = (p: number) => {
      const at = Math.min(latencies.length - 1, Math.floor(p * latencies.length))
      return Math.round(latencies[at]!)
    }
    const placeholders = dealIds.map(() => '?').join(', ')
    const check = await db
      .prepare(
        `SELECT SUM(reserved) AS reserved, SUM(stock) AS stock,
           SUM(reserved + sold > stock) AS oversold
         FROM deals WHERE id IN (${placeholders})`,
      )
      .bind(...dealIds)
      .first<{ reserved: number; stock: number; oversold: number }>()
    console.log(
      JSON.stringify({
        scenario: name,
        joins: JOINS,
        concurrency: CONCURRENCY,
        seconds: Number(seconds.toFixed(2)),
        per_second: Math.round(JOINS / seconds),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        statuses: Object.fromEntries(statuses),
        ...check,
      }),
    )
  }

  const first = await newDeal(1_000_000)
  await readBaseline(first)
  await scenario('one deal, plenty of stock', [first])
  await db.prepare('DELETE FROM deal_buyers').run()
  const hundred = []
  for (let i = 0; i < 100; i++) hundred.push(await newDeal(1_000_000))
  await scenario('100 deals, joins spread evenly', hundred)
  await db.prepare('DELETE FROM deal_buyers').run()
  await scenario('one deal, 100 units: a flash sell-out', [await newDeal(100)])
} finally {
  await mf.dispose()
  rmSync(work, { recursive: true, force: true })
}
