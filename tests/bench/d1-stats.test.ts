import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { OpenAPIHono } from '@hono/zod-openapi'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { db as drizzleDb } from '../../src/db/client'
import { healthRoutes } from '../../src/health/routes'
import { countingD1, withD1Stats } from '../../src/lib/d1-stats'
import { call, expectProblem } from '../helpers/http'

// A table of its own, so counts do not depend on other capabilities' migrations.
await env.DB.batch([
  env.DB.prepare('CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, label TEXT)'),
  env.DB.prepare("INSERT OR IGNORE INTO bench_rows VALUES (1, 'a'), (2, 'b'), (3, 'c')"),
])

describe('countingD1', () => {
  it('counts one round trip per statement and the rows D1 reports reading', async () => {
    const { db, stats } = countingD1(env.DB)
    const all = await db.prepare('SELECT id FROM bench_rows ORDER BY id').all()
    expect(all.results).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
    expect(stats.queries).toBe(1)
    expect(stats.rowsRead).toBe(all.meta.rows_read)
    expect(stats.rowsRead).toBeGreaterThanOrEqual(3)
  })

  it('counts first() and raw(), whose results carry no meta', async () => {
    const { db, stats } = countingD1(env.DB)
    const label = await db.prepare('SELECT label FROM bench_rows WHERE id = ?').bind(2).first()
    expect(label).toEqual({ label: 'b' })
    const raw = await db.prepare('SELECT id, label FROM bench_rows WHERE id = 3').raw()
    expect(raw).toEqual([[3, 'c']])
    expect(stats.queries).toBe(2)
    expect(stats.rowsRead).toBeGreaterThanOrEqual(2)
  })

  it('counts a batch as one round trip and sums its statements', async () => {
    const { db, stats } = countingD1(env.DB)
    const results = await db.batch([
      db.prepare('SELECT id FROM bench_rows WHERE id = 1'),
      db.prepare('SELECT id FROM bench_rows'),
      db.prepare("UPDATE bench_rows SET label = 'c' WHERE id = 3"),
    ])
    expect(results).toHaveLength(3)
    expect(stats.queries).toBe(1)
    const reported = results.reduce((sum, r) => sum + r.meta.rows_read, 0)
    expect(stats.rowsRead).toBe(reported)
    expect(stats.rowsWritten).toBe(results[2].meta.rows_written)
  })

  it('counts what drizzle reads (it selects through raw())', async () => {
    const { db, stats } = countingD1(env.DB)
    const rows = await drizzleDb(db).all(sql`SELECT id FROM bench_rows`)
    expect(rows).toHaveLength(3)
    expect(stats.queries).toBe(1)
    expect(stats.rowsRead).toBeGreaterThanOrEqual(3)
  })

  it('passes SQL errors through unchanged and still counts the trip', async () => {
    const { db, stats } = countingD1(env.DB)
    await expect(db.prepare('SELECT nope FROM bench_rows').all()).rejects.toThrow(/D1_ERROR/)
    expect(stats.queries).toBe(1)
  })

  it('leaves the original binding uncounted', async () => {
    const { stats } = countingD1(env.DB)
    await env.DB.prepare('SELECT 1').all()
    expect(stats.queries).toBe(0)
  })
})

async function fetchWorker(path: string, vars: Record<string, string>, headers: HeadersInit = {}) {
  const wrapped = withD1Stats(worker as ExportedHandler<Env>)
  const ctx = createExecutionContext()
  const request = new Request(`https://tvpay.test${path}`, { headers })
  const res = await wrapped.fetch!(request as never, { ...env, ...vars }, ctx)
  await waitOnExecutionContext(ctx)
  return res
}

describe('bench switches', () => {
  it('baseline route is 404 problem+json without BENCH=1', async () => {
    expectProblem(await call('GET', '/__bench/baseline'), 404, 'not_found')
  })

  it('baseline route answers a constant JSON with BENCH=1', async () => {
    const res = await fetchWorker('/__bench/baseline', { BENCH: '1' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
  })

  it('baseline route is hidden from the OpenAPI document', () => {
    const doc = new OpenAPIHono()
      .route('/', healthRoutes)
      .getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } })
    expect(Object.keys(doc.paths ?? {})).toContain('/healthz')
    expect(Object.keys(doc.paths ?? {})).not.toContain('/__bench/baseline')
  })

  it('reports D1 cost headers only when BENCH=1 and the request asks', async () => {
    const asked = { 'x-bench-d1-stats': '1' }
    const counted = await fetchWorker('/__bench/baseline', { BENCH: '1' }, asked)
    expect(counted.headers.get('x-d1-queries')).toBe('0')
    expect(counted.headers.get('x-d1-rows-read')).toBe('0')

    const notAsked = await fetchWorker('/__bench/baseline', { BENCH: '1' })
    expect(notAsked.headers.has('x-d1-queries')).toBe(false)

    const production = await fetchWorker('/healthz', {}, asked)
    expect(production.status).toBe(200)
    expect(production.headers.has('x-d1-queries')).toBe(false)
  })

  it('counts the D1 work of a real route', async () => {
    // Registering a user writes to D1: the counted response must say so.
    const phone = `+86139${String(Date.now()).slice(-8)}`
    const wrapped = withD1Stats(worker as ExportedHandler<Env>)
    const ctx = createExecutionContext()
    const request = new Request('https://tvpay.test/v1/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bench-d1-stats': '1' },
      body: JSON.stringify({ phone, password: 'correct horse battery' }),
    })
    const res = await wrapped.fetch!(request as never, { ...env, BENCH: '1' } as Env, ctx)
    await waitOnExecutionContext(ctx)
    expect(res.status).toBe(201)
    expect(Number(res.headers.get('x-d1-queries'))).toBeGreaterThanOrEqual(1)
    expect(Number(res.headers.get('x-d1-rows-written'))).toBeGreaterThanOrEqual(1)
  })
})

describe('bench D1 floor route', () => {
  it('is 404 without BENCH=1', async () => {
    expectProblem(await call('GET', '/__bench/d1'), 404, 'not_found')
  })

  it('makes exactly one D1 round trip with BENCH=1', async () => {
    const res = await fetchWorker('/__bench/d1', { BENCH: '1' }, { 'x-bench-d1-stats': '1' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
    expect(res.headers.get('x-d1-queries')).toBe('1')
  })
})
