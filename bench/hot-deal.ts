// A flash sale on one deal (docs/scale.md, "Hot deals on a Durable Object" and "Settlement on
// Queues"): joins a second through the deal's Durable Object with 200 people pressing OK at once,
// against the constant baseline route at the same 200 connections in the same run (ABBA blocks),
// with an oversell check against D1; a sell-out (more people than units); and 10,000 holds of one
// deal captured by the settlement consumer (fed from memory: bench-routes.ts, drain-settlement). Run by `npm run bench` (alone:
// `npm run bench -- --only 'hot deal'`).
//
// The Worker is the deploy bundle (bench/worker.js) under Miniflare with wrangler.toml's bindings
// (D1, the Durable Objects, the queue and its consumer), reached on its own socket. Its D1 is a
// fresh one with the real migrations (no catalog needed); the joiners are written straight into
// it and their tokens signed here with the run's own key.
import { mkdtempSync, rmSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { Miniflare } from 'miniflare'
import { signAccessToken, USER_AUDIENCE } from '../src/auth/tokens'
import { type BenchRequest, Connections } from './http'
import { BASELINE_PATH } from './measure'
import { startProfiler, summarize } from './profile'
import { liveSessionRows } from './session-rows'
import { benchSecrets, bundleWorker } from './wrangler-options'
import { quantile } from './quantile'
import { cpuNs, workerdPid } from './workerd-cpu'

export type HotDealPlan = {
  /** People pressing OK at once: one keep-alive connection each. */
  joiners: number
  /** ABBA rounds; a block is `block` requests. */
  rounds: number
  block: number
  /** Units of the sell-out deal, and how many join attempts it gets. */
  sellOutStock: number
  sellOutAttempts: number
  /** Held payments of one deal settled through the queue. */
  holds: number
}

export const HOT_DEAL_PLAN: HotDealPlan = {
  joiners: 200,
  rounds: 3,
  block: 2000,
  sellOutStock: 1000,
  sellOutAttempts: 4000,
  holds: 10_000,
}
export const HOT_DEAL_QUICK: HotDealPlan = {
  joiners: 200,
  rounds: 1,
  block: 600,
  sellOutStock: 200,
  sellOutAttempts: 800,
  holds: 1000,
}

/** Holds built per seeding request. */
const SEED_CHUNK = 250

type Stats = {
  requests: number
  p50Ms: number
  p99Ms: number
  perSecond: number
  /**
   * CPU a request cost workerd (every thread: the Worker, its objects, D1's simulator) and this
   * load generator, in µs, over the blocks' wall time: who ran out of CPU first.
   */
  workerdCpuUs: number
  clientCpuUs: number
}

/** What /__bench/object-joins answers (bench/object-joins.ts, in the Worker). */
type RpcStats = {
  calls: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  refused: Record<string, number>
}
type ObjectJoinsResult = { joins: RpcStats; baseline: RpcStats }

export type HotDealResult = {
  plan: HotDealPlan
  /** 1-minute load average before each part. */
  load: { join: number; object: number; ceiling: number; sellOut: number; settle: number }
  join: {
    route: Stats
    baseline: Stats
    ratio: number
    /** D1 after the run: units reserved, places and payments written, reserved within stock. */
    d1: { reserved: number; places: number; payments: number; stock: number; oversold: boolean }
    statuses: Record<string, number>
  }
  /** The deal's object alone (RPC from the Worker) against RPCs to an idle deal's object. */
  object: ObjectJoinsResult
  /**
   * Joins over HTTP straight to the deal's object (no Hono, token, session, log or push: the
   * most any HTTP join can do here) against the same request answered with nothing behind it.
   */
  ceiling: { direct: Stats; echo: Stats; statuses: Record<string, number> }
  sellOut: {
    stats: Stats
    statuses: Record<string, number>
    reserved: number
    places: number
    oversold: boolean
  }
  settle: {
    holds: number
    /** Building the holds (bench-only route: join through the object, then the hold). */
    seedSeconds: number
    /** From the deal's settle-deal message to the last payment captured. */
    seconds: number
    perSecond: number
    captured: number
    captureTransfers: number
    orders: number
    heldLeft: number
    /** Payments the consumer retried, and messages that exhausted their retries. */
    retried: number
    deadLettered: number
  }
}

type Block = {
  micros: number[]
  seconds: number
  statuses: Map<string, number>
  workerdCpuUs: number
  clientCpuUs: number
}

/**
 * `count` requests, `conns.count` in flight. Node's fetch (undici, keep-alive, one connection per
 * request in flight) rather than node:http: with 200 sockets, a connection workerd resets surfaced
 * from node:http as an uncaught error and a request that never settled.
 */
async function runBlock(
  conns: { origin: URL; count: number; workerd: number },
  next: () => BenchRequest,
  count: number,
  ok: (status: number) => boolean,
): Promise<Block> {
  const micros: number[] = []
  const statuses = new Map<string, number>()
  let sent = 0
  const [workerdAtStart, clientAtStart] = [cpuNs(conns.workerd), process.cpuUsage()]
  const started = process.hrtime.bigint()
  const loop = async () => {
    while (sent < count) {
      sent++
      const req = next()
      const t0 = process.hrtime.bigint()
      let key: string
      let status = 0
      let text = ''
      try {
        const res = await fetch(new URL(req.path, conns.origin), {
          method: req.method ?? 'GET',
          headers: req.headers,
          body: req.body,
        })
        status = res.status
        text = await res.text()
        key = String(status)
        if (status >= 300) key = `${status} ${(JSON.parse(text) as { code?: string }).code}`
      } catch (err) {
        key = `error ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`
      }
      statuses.set(key, (statuses.get(key) ?? 0) + 1)
      if (status === 0 || !ok(status)) {
        if (status >= 500 || status === 0) continue // counted, not timed: reported with the run
        throw new Error(`${req.method ?? 'GET'} ${req.path}: ${status} ${text.slice(0, 300)}`)
      }
      micros.push(Number(process.hrtime.bigint() - t0) / 1000)
    }
  }
  await Promise.all(Array.from({ length: conns.count }, loop))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const client = process.cpuUsage(clientAtStart)
  return {
    micros,
    seconds,
    statuses,
    workerdCpuUs: (cpuNs(conns.workerd) - workerdAtStart) / 1000,
    clientCpuUs: client.user + client.system,
  }
}

function stats(blocks: Block[]): Stats {
  const micros = blocks.flatMap((b) => b.micros).sort((a, b) => a - b)
  const at = (q: number) => quantile(micros, q)
  const seconds = blocks.reduce((s, b) => s + b.seconds, 0)
  const sent = blocks.reduce((n, b) => n + [...b.statuses.values()].reduce((a, c) => a + c, 0), 0)
  const cpu = (key: 'workerdCpuUs' | 'clientCpuUs') => blocks.reduce((s, b) => s + b[key], 0) / sent
  return {
    requests: micros.length,
    p50Ms: at(0.5) / 1000,
    p99Ms: at(0.99) / 1000,
    perSecond: micros.length / seconds,
    workerdCpuUs: cpu('workerdCpuUs'),
    clientCpuUs: cpu('clientCpuUs'),
  }
}

function merged(blocks: Block[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const b of blocks) for (const [k, n] of b.statuses) out[k] = (out[k] ?? 0) + n
  return out
}

/** `HOT_DEAL_PROFILE=<dir>`: a CPU profile of the Worker's isolate during the first join blocks. */
const profileDir = process.env.HOT_DEAL_PROFILE
/**
 * Places per person in the settlement part: each capture tells the person's two objects (waits,
 * household channel), and local workerd opens a SQLite file per object instance; at one place
 * per person, 10,000 holds meant 20,000 objects and ran it out of memory.
 */
const HOLDS_PER_PERSON = 10
const PROFILE_INSPECTOR_PORT = 8790

/**
 * `run`, under the CPU profiler when HOT_DEAL_PROFILE is set: the top functions are logged and the
 * profile saved as `<label>-<time>.cpuprofile` in that directory.
 */
async function profiled<T>(
  label: string,
  log: (line: string) => void,
  run: () => Promise<T>,
): Promise<T> {
  if (!profileDir) return run()
  const profiler = await startProfiler(PROFILE_INSPECTOR_PORT, 'hot-deal')
  try {
    return await run()
  } finally {
    const file = path.join(profileDir, `${label}-${Date.now()}.cpuprofile`)
    for (const line of summarize(await profiler.stop(file))) log(`    ${line}`)
    log(`  profile (${label}): ${file}`)
    profiler.close()
  }
}

const load1 = () => Number(os.loadavg()[0]!.toFixed(2))

export async function runHotDealBench(
  scriptPath: string,
  plan: HotDealPlan,
  log: (line: string) => void,
): Promise<HotDealResult> {
  const work = mkdtempSync(path.join(tmpdir(), 'tvpay-hot-deal-bench-'))
  const secrets = benchSecrets()
  const adminToken = secrets.ADMIN_TOKEN
  let stderrTail = ''
  const mf = new Miniflare({
    ...bundleWorker(scriptPath, { name: 'hot-deal', bindings: secrets }),
    d1Persist: path.join(work, 'd1'),
    durableObjectsPersist: process.env.HOT_DEAL_DO_MEMORY ? false : path.join(work, 'do'),
    cf: false,
    unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
    ...(profileDir ? { inspectorPort: PROFILE_INSPECTOR_PORT } : {}),
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.resume()
      stderr.on('data', (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString()).slice(-4000)
        if (process.env.HOT_DEAL_DEBUG) process.stderr.write(chunk)
      })
    },
  } as never)
  try {
    await mf.ready
    const origin = await mf.unsafeGetDirectURL('hot-deal')
    const db = await mf.getD1Database('DB')
    for (const migration of await readD1Migrations('migrations')) {
      for (const query of migration.queries) await db.prepare(query).run()
    }
    const setup = new Connections(origin, 1)
    const admin = async (method: string, p: string, body: unknown) => {
      const res = await setup.send({
        method,
        path: p,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify(body),
      })
      const text = res.body.toString('utf8')
      if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${text}`)
      return JSON.parse(text) as Record<string, unknown>
    }

    // The joiners: users with a live session, written straight into D1.
    const now = Date.now()
    const rows = []
    const tokens: string[] = []
    for (let i = 0; i < plan.joiners; i++) {
      const k = String(i).padStart(6, '0')
      const [userId, familyId] = [`usr_hot${k}`, `rt_hot${k}`]
      rows.push(
        ...liveSessionRows(db, {
          userId,
          familyId,
          phone: `+86138${k}00`,
          tokenHash: `hot-${k}`,
          now,
        }),
      )
      tokens.push(
        await signAccessToken(secrets, { aud: USER_AUDIENCE, sub: userId, sid: familyId }),
      )
    }
    for (let i = 0; i < rows.length; i += 300) await db.batch(rows.slice(i, i + 300))

    await admin('POST', '/v1/admin/categories', {
      categories: [{ slug: 'hot-deal-bench', name: 'Bench' }],
    })
    const product = (await admin('POST', '/v1/admin/products', {
      products: [
        {
          sku: 'HOT-DEAL-BENCH',
          title: '小米电视 65 英寸 限时拼团',
          brand: '小米',
          price: { amount: 299900, currency: 'CNY' },
          category_slug: 'hot-deal-bench',
          stock: 10,
        },
      ],
    })) as { items: { id: string }[] }
    const productId = product.items[0]!.id
    const createDeal = async (stock: number, maxPerUser: number, minGroupSize: number) => {
      const at = Date.now()
      const deal = await admin('POST', '/v1/admin/deals', {
        product_id: productId,
        deal_price: { amount: 249900, currency: 'CNY' },
        starts_at: new Date(at - 60_000).toISOString(),
        ends_at: new Date(at + 3_600_000).toISOString(),
        min_group_size: minGroupSize,
        stock,
        max_per_user: maxPerUser,
      })
      return deal.id as string
    }
    const dealCounts = async (dealId: string) =>
      (await db
        .prepare(
          `SELECT d.reserved, d.sold, d.stock,
             (SELECT COUNT(*) FROM deal_participations p WHERE p.deal_id = d.id) AS places,
             (SELECT COALESCE(SUM(quantity), 0) FROM deal_participations p
              WHERE p.deal_id = d.id AND p.status IN ('pending_payment', 'confirmed')) AS open_units,
             (SELECT COUNT(*) FROM deal_participations p JOIN payments y ON y.id = p.payment_id
              WHERE p.deal_id = d.id) AS payments
           FROM deals d WHERE d.id = ?`,
        )
        .bind(dealId)
        .first<{
          reserved: number
          sold: number
          stock: number
          places: number
          open_units: number
          payments: number
        }>())!
    const post = (p: string, body: unknown) =>
      setup.send({
        method: 'POST',
        path: p,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const join = (dealId: string, token: string): BenchRequest => ({
      method: 'POST',
      path: `/v1/deals/${dealId}/join`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{"quantity":1}',
    })

    // 1. One hot deal, plenty of stock: every join is granted. People join again and again (the
    //    cap is high), so 200 accounts make the crowd.
    log(`  ${plan.joiners} joiners ready`)
    const conns = { origin, count: plan.joiners, workerd: workerdPid() }
    const hot = await createDeal(1_000_000, 1_000_000, 1_000_000)
    let i = 0
    const nextJoin = () => join(hot, tokens[i++ % tokens.length]!)
    const baselineReq = () => ({ path: BASELINE_PATH })
    const created = (s: number) => s === 201
    const fine = (s: number) => s === 200
    await runBlock(conns, baselineReq, plan.joiners * 2, fine)
    log('  baseline warm')
    const warmJoins = await runBlock(conns, nextJoin, plan.joiners * 2, created)
    log('  joins warm')
    const loadJoin = load1()
    const route: Block[] = []
    const baseline: Block[] = []
    for (let r = 0; r < plan.rounds; r++) {
      baseline.push(await runBlock(conns, baselineReq, plan.block, fine))
      const joins = async () => {
        route.push(await runBlock(conns, nextJoin, plan.block, created))
        route.push(await runBlock(conns, nextJoin, plan.block, created))
      }
      await (r === 0 ? profiled('join', log, joins) : joins())
      baseline.push(await runBlock(conns, baselineReq, plan.block, fine))
    }
    const joinStats = stats(route)
    const baseStats = stats(baseline)
    const hotCounts = await dealCounts(hot)
    const joinResult = {
      route: joinStats,
      baseline: baseStats,
      ratio: joinStats.perSecond / baseStats.perSecond,
      d1: {
        reserved: hotCounts.reserved,
        places: hotCounts.places,
        payments: hotCounts.payments,
        stock: hotCounts.stock,
        oversold:
          hotCounts.reserved + hotCounts.sold > hotCounts.stock ||
          hotCounts.reserved !== hotCounts.open_units ||
          hotCounts.places < (merged([warmJoins, ...route])['201'] ?? 0),
      },
      statuses: merged(route),
    }
    log(
      `  hot deal join @${plan.joiners}: ${Math.round(joinStats.perSecond)} joins/s, p50 ` +
        `${joinStats.p50Ms.toFixed(1)} ms, p99 ${joinStats.p99Ms.toFixed(1)} ms; baseline ` +
        `${Math.round(baseStats.perSecond)} req/s (load ${loadJoin})`,
    )

    // 1b. The deal's object alone: joins by RPC from the Worker (no HTTP, token or session
    //     check in front), against RPCs to an idle deal's object, at the same concurrency.
    const loadObject = load1()
    const objectDeal = await createDeal(1_000_000, 1_000_000, 1_000_000)
    const idleDeal = await createDeal(10, 1, 10)
    const userIds = Array.from(
      { length: plan.joiners },
      (_, k) => `usr_hot${String(k).padStart(6, '0')}`,
    )
    const objectRes = await profiled('object', log, () =>
      post('/__bench/object-joins', {
        deal_id: objectDeal,
        idle_deal_id: idleDeal,
        user_ids: userIds,
        count: plan.block,
        in_flight: plan.joiners,
      }),
    )
    if (objectRes.status !== 200) throw new Error(`object-joins: ${objectRes.body.toString()}`)
    const object = JSON.parse(objectRes.body.toString()) as ObjectJoinsResult
    log(
      `  object alone @${plan.joiners}: ${Math.round(object.joins.perSecond)} joins/s, p50 ` +
        `${object.joins.p50Ms.toFixed(1)} ms, p99 ${object.joins.p99Ms.toFixed(1)} ms; idle-object ` +
        `RPCs ${Math.round(object.baseline.perSecond)}/s (load ${loadObject})`,
    )

    // 1c. The ceiling: joins over HTTP with nothing but the deal's object behind the socket (no
    //     Hono, token, session, log or push), against the same request answered with nothing
    //     behind it, at the same 200 connections (ABBA).
    const loadCeiling = load1()
    const ceilingDeal = await createDeal(1_000_000, 1_000_000, 1_000_000)
    let c = 0
    const directReq = (p: string) => (): BenchRequest => ({
      method: 'POST',
      path: p,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deal_id: ceilingDeal, user_id: userIds[c++ % userIds.length] }),
    })
    const [direct, echo] = [directReq('/__bench/direct-join'), directReq('/__bench/echo')]
    await runBlock(conns, direct, plan.joiners * 2, created)
    await runBlock(conns, echo, plan.joiners * 2, created)
    const directBlocks: Block[] = []
    const echoBlocks: Block[] = []
    for (let r = 0; r < plan.rounds; r++) {
      echoBlocks.push(await runBlock(conns, echo, plan.block, created))
      directBlocks.push(await runBlock(conns, direct, plan.block, created))
      directBlocks.push(await runBlock(conns, direct, plan.block, created))
      echoBlocks.push(await runBlock(conns, echo, plan.block, created))
    }
    const ceiling = {
      direct: stats(directBlocks),
      echo: stats(echoBlocks),
      statuses: merged(directBlocks),
    }
    log(
      `  ceiling @${plan.joiners}: ${Math.round(ceiling.direct.perSecond)} joins/s straight to the ` +
        `object over HTTP; echo ${Math.round(ceiling.echo.perSecond)} req/s (load ${loadCeiling})`,
    )

    // 2. A sell-out: more attempts than units, one unit per person.
    const loadSellOut = load1()
    const sellOutDeal = await createDeal(plan.sellOutStock, plan.sellOutStock, plan.sellOutStock)
    let s = 0
    const sellOutBlock = await runBlock(
      conns,
      () => join(sellOutDeal, tokens[s++ % tokens.length]!),
      plan.sellOutAttempts,
      (status) => status === 201 || status === 409,
    )
    const soCounts = await dealCounts(sellOutDeal)
    const sellOut = {
      stats: stats([sellOutBlock]),
      statuses: merged([sellOutBlock]),
      reserved: soCounts.reserved,
      places: soCounts.places,
      oversold:
        soCounts.reserved > soCounts.stock ||
        soCounts.places !== (sellOutBlock.statuses.get('201') ?? 0),
    }
    log(`  sell-out: ${JSON.stringify(sellOut.statuses)}, reserved ${soCounts.reserved}`)

    // 3. Settlement: `holds` people hold the deal price (short of its threshold, so nothing is
    //    enqueued yet); then the deal tips and the settlement consumer captures every hold.
    const settleDeal = await createDeal(plan.holds, HOLDS_PER_PERSON, plan.holds + 1)
    const seedStarted = Date.now()
    // In requests of SEED_CHUNK: 10,000 in one request ran local workerd out of memory
    // (SQLITE_NOMEM). Seeding is setup; only the settlement below is measured.
    for (let seeded = 0; seeded < plan.holds; seeded += SEED_CHUNK) {
      const count = Math.min(SEED_CHUNK, plan.holds - seeded)
      const res = await post('/__bench/seed-holds', {
        deal_id: settleDeal,
        count,
        per_user: HOLDS_PER_PERSON,
      })
      if (res.status !== 200) throw new Error(`seed-holds: ${res.body.toString()}`)
    }
    const seedSeconds = (Date.now() - seedStarted) / 1000
    log(`  ${plan.holds} holds seeded in ${seedSeconds.toFixed(1)} s`)
    await db
      .prepare('UPDATE deals SET tipped_at = ? WHERE id = ?')
      .bind(Date.now(), settleDeal)
      .run()
    const loadSettle = load1()
    const tipStarted = Date.now()
    const drained = await post('/__bench/drain-settlement', { deal_id: settleDeal, invocations: 8 })
    if (drained.status !== 200) throw new Error(`drain-settlement: ${drained.body.toString()}`)
    const seconds = (Date.now() - tipStarted) / 1000
    const consumed = JSON.parse(drained.body.toString()) as {
      retried: number
      deadLettered: number
    }
    const done = (await db
      .prepare(
        `SELECT COUNT(*) AS n FROM deal_participations WHERE deal_id = ? AND status = 'paid'`,
      )
      .bind(settleDeal)
      .first<{ n: number }>())!.n
    const check = (await db
      .prepare(
        `SELECT
           (SELECT COUNT(*) FROM ledger_transfers t JOIN deal_participations p
              ON p.payment_id = t.payment_id WHERE p.deal_id = ?1 AND t.kind = 'capture') AS captures,
           (SELECT COUNT(*) FROM orders o JOIN deal_participations p ON p.order_id = o.id
              WHERE p.deal_id = ?1) AS orders,
           (SELECT COUNT(*) FROM deal_participations WHERE deal_id = ?1
              AND status = 'confirmed') AS held`,
      )
      .bind(settleDeal)
      .first<{ captures: number; orders: number; held: number }>())!
    const settle = {
      holds: plan.holds,
      seedSeconds,
      seconds,
      perSecond: done / seconds,
      captured: done,
      captureTransfers: check.captures,
      orders: check.orders,
      heldLeft: check.held,
      retried: consumed.retried,
      deadLettered: consumed.deadLettered,
    }
    log(`  settlement: ${done} of ${plan.holds} captured in ${seconds.toFixed(1)} s`)
    setup.close()
    return {
      plan,
      load: {
        join: loadJoin,
        object: loadObject,
        ceiling: loadCeiling,
        sellOut: loadSellOut,
        settle: loadSettle,
      },
      join: joinResult,
      object,
      ceiling,
      sellOut,
      settle,
    }
  } catch (err) {
    if (stderrTail.trim()) log(`Runtime stderr (last lines):\n${stderrTail}`)
    throw err
  } finally {
    await mf.dispose()
    rmSync(work, { recursive: true, force: true })
  }
}

export function formatHotDeal(r: HotDealResult): string {
  const { join, object, ceiling, sellOut, settle, load } = r
  const ms = (n: number) => n.toFixed(1)
  const cpu = (x: Stats) =>
    `CPU a request: workerd ${Math.round(x.workerdCpuUs)} µs, load generator ${Math.round(x.clientCpuUs)} µs`
  const lines = [
    `Hot deal (${r.plan.joiners} concurrent joiners, one deal, through its Durable Object)`,
    `  join      ${Math.round(join.route.perSecond)} joins/s  p50 ${ms(join.route.p50Ms)} ms  p99 ` +
      `${ms(join.route.p99Ms)} ms  (${join.route.requests} joins; load ${load.join})`,
    `  baseline  ${Math.round(join.baseline.perSecond)} req/s    p50 ${ms(join.baseline.p50Ms)} ms  ` +
      `p99 ${ms(join.baseline.p99Ms)} ms  → joins at ${join.ratio.toFixed(2)}× the baseline`,
    `            ${cpu(join.route)}; baseline: ${cpu(join.baseline)}`,
    `  D1 after: ${join.d1.places} places, ${join.d1.payments} payments, reserved ` +
      `${join.d1.reserved} of ${join.d1.stock}: ${join.d1.oversold ? '✗ MISMATCH' : '✓ 0 oversold'}`,
    `  object    ${Math.round(object.joins.perSecond)} joins/s  p50 ${ms(object.joins.p50Ms)} ms  p99 ` +
      `${ms(object.joins.p99Ms)} ms  (${object.joins.calls} joins by RPC, no HTTP or token in front; ` +
      `load ${load.object})`,
    `  idle obj  ${Math.round(object.baseline.perSecond)} RPCs/s  p50 ${ms(object.baseline.p50Ms)} ms  ` +
      `p99 ${ms(object.baseline.p99Ms)} ms  → the object's joins at ` +
      `${(object.joins.perSecond / object.baseline.perSecond).toFixed(2)}× a bare RPC`,
    `  ceiling   ${Math.round(ceiling.direct.perSecond)} joins/s  p50 ${ms(ceiling.direct.p50Ms)} ms  ` +
      `p99 ${ms(ceiling.direct.p99Ms)} ms  (over HTTP straight to the object: no Hono, token, ` +
      `session, log or push; ${JSON.stringify(ceiling.statuses)}; load ${load.ceiling})`,
    `  echo      ${Math.round(ceiling.echo.perSecond)} req/s    p50 ${ms(ceiling.echo.p50Ms)} ms  ` +
      `p99 ${ms(ceiling.echo.p99Ms)} ms  (the same request, nothing behind it) → the API's join at ` +
      `${(join.route.perSecond / ceiling.direct.perSecond).toFixed(2)}× the ceiling`,
    `            ${cpu(ceiling.direct)}; echo: ${cpu(ceiling.echo)}`,
    `  sell-out  ${sellOut.stats.requests} attempts for ${r.plan.sellOutStock} units: ` +
      `${JSON.stringify(sellOut.statuses)}, ${Math.round(sellOut.stats.perSecond)} req/s, p99 ` +
      `${ms(sellOut.stats.p99Ms)} ms; reserved ${sellOut.reserved}: ` +
      `${sellOut.oversold ? '✗ OVERSOLD' : '✓ exact'} (load ${load.sellOut})`,
    `  settle    ${settle.captured} of ${settle.holds} holds captured by the consumer in ` +
      `${settle.seconds.toFixed(1)} s (${Math.round(settle.perSecond)}/s; ${settle.captureTransfers} ` +
      `capture transfers, ${settle.orders} orders, ${settle.heldLeft} still held; ${settle.retried} ` +
      `retried, ${settle.deadLettered} dead-lettered; 8 consumers; load ${load.settle})`,
  ]
  return lines.join('\n')
}
