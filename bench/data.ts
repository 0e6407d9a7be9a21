import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { Miniflare } from 'miniflare'
import { seedFingerprint } from '../scripts/seed/fingerprint'
import type { Sql } from '../scripts/seed/sql'
import { SEED_MODULES } from '../scripts/seed/registry'
import { BENCH_PRODUCTS, BENCH_SEED, D1_PERSIST, DB_DIR, ROOT } from './config'
import { d1DatabaseId } from './wrangler-options'

export type DataManifest = {
  fingerprint: string
  products: number
  rows: Record<string, number>
  builtAt: string
  buildSeconds: number
}

const MANIFEST = path.join(DB_DIR, 'manifest.json')

/** Runs statement batches inside workerd: Miniflare's Node proxy makes every prepare() a trip. */
const LOADER = `export default {
  async fetch(request, env) {
    const { statements } = await request.json()
    try {
      const results = await env.DB.batch(
        statements.map((s) => env.DB.prepare(s.sql).bind(...s.params)),
      )
      return Response.json(results.map((r) => r.results ?? []))
    } catch (err) {
      return Response.json({ error: String(err?.message ?? err) }, { status: 500 })
    }
  },
}`

/**
 * Random-key inserts into the 20M-row search_keys B-tree slow down as it grows (each product
 * dirties ~200 scattered pages). So the bench database stages search-key rows in a plain table,
 * then copies them in primary-key order and builds the secondary indexes last. Every statement
 * is the catalog's own SQL except the target table of its search-key insert: the rows are the
 * same, only written in a different order (the B-tree ends up packed; see docs/bench.md).
 */
const STAGED = 'bench_staged_search_keys'
const SEARCH_KEYS_INSERT = /^\s*INSERT INTO search_keys\b/

function staged(sql: Sql): Sql {
  return SEARCH_KEYS_INSERT.test(sql.sql)
    ? { ...sql, sql: sql.sql.replace(SEARCH_KEYS_INSERT, `INSERT INTO ${STAGED}`) }
    : sql
}

/**
 * A new connection per batch: after a statement that runs for a minute (the ordered copy),
 * workerd closes the kept-alive socket, and a POST reusing it fails with ECONNRESET.
 */
function post(url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

type Loader = (statements: Sql[]) => Promise<Array<Array<Record<string, unknown>>>>

async function startLoader(): Promise<{ run: Loader; dispose: () => Promise<void> }> {
  const mf = new Miniflare({
    modules: true,
    script: LOADER,
    compatibilityDate: '2026-04-20',
    d1Persist: D1_PERSIST,
    d1Databases: { DB: d1DatabaseId() },
    cf: false,
  })
  const url = await mf.ready
  const run: Loader = async (statements) => {
    const { status, text } = await post(url, JSON.stringify({ statements }))
    const body = JSON.parse(text)
    if (status !== 200) throw new Error(`bench data: D1 batch failed: ${body.error}`)
    return body
  }
  return { run, dispose: () => mf.dispose() }
}

const BATCH_BYTES = 1024 * 1024

async function loadSeed(run: Loader, log: (line: string) => void) {
  const ctx = { seed: BENCH_SEED, products: BENCH_PRODUCTS, now: Date.now() }
  const started = Date.now()
  let batch: Sql[] = []
  let bytes = 0
  let units = 0
  let inFlight: Promise<unknown> = Promise.resolve()
  const send = async () => {
    const statements = batch
    batch = []
    bytes = 0
    await inFlight // one batch in flight: generation (Node) overlaps writing (workerd)
    inFlight = run(statements)
  }
  for (const module of SEED_MODULES) {
    for (const unit of module.units(ctx)) {
      for (const sql of unit) {
        batch.push(staged(sql))
        bytes += sql.sql.length + JSON.stringify(sql.params).length
      }
      units++
      if (bytes >= BATCH_BYTES) await send()
      if (units % 10_000 === 0) {
        const rate = units / ((Date.now() - started) / 1000)
        log(`  ${units.toLocaleString()} units written (${Math.round(rate)}/s)`)
      }
    }
  }
  if (batch.length > 0) await send()
  await inFlight
}

async function finishSearchKeys(run: Loader, log: (line: string) => void) {
  const [[staged]] = await run([{ sql: `SELECT COUNT(*) AS n FROM ${STAGED}`, params: [] }])
  if (Number(staged.n) === 0) {
    // The catalog's search-key INSERT no longer matches SEARCH_KEYS_INSERT: rows went straight to
    // search_keys (correct, only slow). Say so, so the pattern gets updated.
    log(`  warning: no search-key rows were staged; update SEARCH_KEYS_INSERT in bench/data.ts`)
  }
  const [indexes] = await run([
    {
      sql: `SELECT name, sql FROM sqlite_master
            WHERE type = 'index' AND tbl_name = 'search_keys' AND sql IS NOT NULL`,
      params: [],
    },
  ])
  const t0 = Date.now()
  await run([
    ...indexes.map((i) => ({ sql: `DROP INDEX "${i.name}"`, params: [] })),
    {
      sql: `INSERT INTO search_keys (key, rank, target_id)
            SELECT key, rank, target_id FROM ${STAGED} ORDER BY key, rank, target_id`,
      params: [],
    },
  ])
  log(`  search_keys copied in key order (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  for (const index of indexes) await run([{ sql: String(index.sql), params: [] }])
  await run([{ sql: `DROP TABLE ${STAGED}`, params: [] }])
}

async function countRows(run: Loader): Promise<Record<string, number>> {
  const tables = ['categories', 'products', 'search_keys']
  const results = await run(tables.map((t) => ({ sql: `SELECT COUNT(*) n FROM ${t}`, params: [] })))
  return Object.fromEntries(tables.map((t, i) => [t, Number(results[i][0].n)]))
}

/**
 * The bench database: real migrations (applied by wrangler, as in dev), then BENCH_PRODUCTS
 * products through the seeder's modules. Built once and reused while its fingerprint (migrations,
 * generator, catalog write code, this file) is unchanged.
 */
export async function ensureBenchData(log: (line: string) => void): Promise<DataManifest> {
  const extra = [path.relative(ROOT, path.join(import.meta.dirname, 'data.ts'))]
  const ctx = { seed: BENCH_SEED, products: BENCH_PRODUCTS }
  const fingerprint = seedFingerprint(SEED_MODULES, ctx, extra)
  if (existsSync(MANIFEST)) {
    const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as DataManifest
    if (manifest.fingerprint === fingerprint) return manifest
    log('Bench data is stale (migrations, generator or catalog writer changed): rebuilding.')
  }
  const started = Date.now()
  rmSync(DB_DIR, { recursive: true, force: true })
  mkdirSync(DB_DIR, { recursive: true })
  log(`Building the bench database (${BENCH_PRODUCTS.toLocaleString()} products); cached after.`)
  const migrate = ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', DB_DIR]
  execFileSync('npx', migrate, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const loader = await startLoader()
  try {
    await loader.run([
      {
        sql: `CREATE TABLE ${STAGED}
                (key TEXT NOT NULL, rank INTEGER NOT NULL, target_id INTEGER NOT NULL)`,
        params: [],
      },
    ])
    await loadSeed(loader.run, log)
    await finishSearchKeys(loader.run, log)
    const rows = await countRows(loader.run)
    if (rows.products < BENCH_PRODUCTS) {
      throw new Error(`bench data: expected ${BENCH_PRODUCTS} products, found ${rows.products}`)
    }
    const manifest: DataManifest = {
      fingerprint,
      products: rows.products,
      rows,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - started) / 1000),
    }
    writeFileSync(MANIFEST, JSON.stringify(manifest, null, 2) + '\n')
    log(`Bench database ready in ${manifest.buildSeconds} s: ${JSON.stringify(rows)}`)
    return manifest
  } finally {
    await loader.dispose()
  }
}
