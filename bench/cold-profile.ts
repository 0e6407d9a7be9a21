// CPU profiles of cache misses (`npx tsx bench/cold-profile.ts [--requests N] [--interval µs]
// [--connections N] [--same-isolate]`): the `cached` instance (both cache layers on) and the
// `uncached` one (the D1 path) each serve product details nobody read before, N in flight
// (default 1), in alternating blocks (cached, uncached, uncached, cached), under workerd's V8
// profiler. With --same-isolate all blocks go to the `cached` isolate: the miss, and the D1 path
// (`x-bench-caches: off`, bench/caches-off.ts). Prints per block the latency, the workerd
// process's CPU time per request (/proc/<pid>/task/*/schedstat: every thread, the D1 simulator
// included), the functions with most self time; then per bundle module (src/http/cache.ts,
// lru-cache, …) the time of the samples whose nearest bundle frame is in it, per request.
// Caveat, learnt the hard way: workerd does not mark the isolate idle while it waits for I/O, so
// the profiler charges a wait to the frame that resumes after it (an `await` of D1 shows up as
// time in the awaiting function); compare modules, not single async functions, and read the
// schedstat figure for CPU. Not part of `npm run bench` (docs/scale.md, "Cold catalog reads").
import { mkdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { buildWorker } from './build'
import { DATA_DIR } from './config'
import { ensureBenchData } from './data'
import { Connections } from './http'
import { type CpuProfile, startProfiler, summarize } from './profile'
import { quantile } from './quantile'
import { startBenchServer } from './server'
import { cpuNs, workerdPid } from './workerd-cpu'

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '1500' },
    dir: { type: 'string', default: path.join(DATA_DIR, 'profiles') },
    port: { type: 'string', default: '8781' },
    interval: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '1' },
    'same-isolate': { type: 'boolean', default: false },
  },
})
const CONNECTIONS = Number(args.connections)

/** What a block sends: to which instance, with which bench header (bench/caches-off.ts). */
type Side = { name: string; target: 'cached' | 'uncached'; headers?: Record<string, string> }
// Two isolates (the comparison made until 2026-12-07), or, with --same-isolate, the miss and
// the D1 path both in the `cached` instance's isolate.
const SIDES: Side[] = args['same-isolate']
  ? [
      { name: 'miss', target: 'cached' },
      { name: 'd1', target: 'cached', headers: { 'x-bench-caches': 'off' } },
    ]
  : [
      { name: 'cached', target: 'cached' },
      { name: 'uncached', target: 'uncached' },
    ]
/** Blocks in an order where each side comes first and last as often: ABBA. */
const ORDER = [...SIDES, ...[...SIDES].reverse()]
const REQUESTS = Number(args.requests)
const INSPECTOR_PORT = Number(args.port)
const log = (line: string) => console.log(line)
mkdirSync(args.dir, { recursive: true })

/** Bundle line → module, from esbuild's `// path` comments. */
function moduleMap(bundle: string) {
  const marks: Array<[number, string]> = []
  bundle.split('\n').forEach((line, i) => {
    if (/^\/\/ (src|node_modules|bench)\//.test(line)) marks.push([i, line.slice(3)])
  })
  return (line: number) => {
    let found = '(bundle prelude)'
    for (const [at, name] of marks) {
      if (at > line) break
      found = name
    }
    return found.replace(/node_modules\/((@[^/]+\/)?[^/]+).*/, '$1')
  }
}

/** µs of samples per module: each sample goes to its nearest frame in the bundle. */
function byModule(profile: CpuProfile, moduleAt: (line: number) => string) {
  const nodes = profile.nodes as Node[]
  const parent = new Map<number, number>()
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const out = new Map<string, number>()
  const deltas = profile.timeDeltas ?? []
  for (const [i, id] of (profile.samples ?? []).entries()) {
    const us = deltas[i + 1] ?? 0
    let key = `[${byId.get(id)!.callFrame.functionName || '(anonymous)'}]`
    if (key === '[(idle)]') continue
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame
      if (frame.url.endsWith('worker.js')) {
        key = moduleAt(frame.lineNumber)
        break
      }
    }
    out.set(key, (out.get(key) ?? 0) + us)
  }
  return out
}

type Node = CpuProfile['nodes'][number] & { children?: number[] }

async function main() {
  log(
    `load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
  const { script } = buildWorker()
  await ensureBenchData(log)
  const server = await startBenchServer(script, { inspectorPort: INSPECTOR_PORT })
  const setup = new Connections(server.url.uncached, 1)
  try {
    const categories = JSON.parse(
      (await setup.send({ path: '/v1/categories' })).body.toString('utf8'),
    ) as { items: { id: string; name: string }[] }
    const tv = categories.items.find((c) => c.name === '电视')!
    // Distinct products: the blocks plus warm-up.
    const need = ORDER.length * REQUESTS + 200 * ORDER.length
    const ids: string[] = []
    let cursor: string | null = null
    while (ids.length < need) {
      const base = `/v1/products?category_id=${encodeURIComponent(tv.id)}&limit=20`
      const p: string = cursor ? `${base}&cursor=${encodeURIComponent(cursor)}` : base
      const list = JSON.parse((await setup.send({ path: p })).body.toString('utf8')) as {
        items: { id: string }[]
        next_cursor: string | null
      }
      ids.push(...list.items.map((x) => x.id))
      if (!list.next_cursor) throw new Error(`only ${ids.length} products in 电视`)
      cursor = list.next_cursor
    }
    let next = 0
    const take = () => ids[next++]!
    const conns = {
      cached: new Connections(server.url.cached, CONNECTIONS),
      uncached: new Connections(server.url.uncached, CONNECTIONS),
    }
    /** n distinct products, CONNECTIONS in flight. */
    const block = async (side: Side, n: number) => {
      const micros: number[] = []
      let left = n
      const loop = async () => {
        while (left-- > 0) {
          const res = await conns[side.target].send({
            path: `/v1/products/${take()}`,
            headers: side.headers,
          })
          if (res.status !== 200) throw new Error(`${side.name} answered ${res.status}`)
          micros.push(res.micros)
        }
      }
      await Promise.all(Array.from({ length: CONNECTIONS }, loop))
      return micros
    }
    // Warm the code paths (and take the cached isolate's edge policy to its steady state).
    for (const side of ORDER) {
      const s = (await block(side, 200)).sort((a, b) => a - b)
      log(
        `unprofiled ${side.name}: p50 ${quantile(s, 0.5).toFixed(0)} µs, p99 ${quantile(s, 0.99).toFixed(0)} µs`,
      )
    }

    const pid = workerdPid()
    const moduleAt = moduleMap(readFileSync(script, 'utf8'))
    const modules = new Map(SIDES.map((s) => [s.name, new Map<string, number>()]))
    const cpu = new Map(SIDES.map((s) => [s.name, 0]))
    const lat = new Map<string, number[]>(SIDES.map((s) => [s.name, []]))
    for (const [k, side] of ORDER.entries()) {
      const profiler = await startProfiler(INSPECTOR_PORT, side.target, Number(args.interval))
      const cpuAt = cpuNs(pid)
      let micros: number[] = []
      try {
        micros = await block(side, REQUESTS)
      } finally {
        const used = cpuNs(pid) - cpuAt
        const file = path.join(args.dir, `miss-${side.name}-${k}-${Date.now()}.cpuprofile`)
        const profile = await profiler.stop(file)
        profiler.close()
        cpu.set(side.name, cpu.get(side.name)! + used)
        lat.get(side.name)!.push(...micros)
        const mine = modules.get(side.name)!
        for (const [m, us] of byModule(profile, moduleAt)) mine.set(m, (mine.get(m) ?? 0) + us)
        const sorted = [...micros].sort((a, b) => a - b)
        log(
          `\n${side.name} block ${k}: p50 ${quantile(sorted, 0.5).toFixed(0)} µs, p99 ` +
            `${quantile(sorted, 0.99).toFixed(0)} µs, workerd CPU ` +
            `${(used / 1000 / REQUESTS).toFixed(0)} µs a request; load ${os.loadavg()[0]!.toFixed(2)}`,
        )
        for (const line of summarize(profile, 12)) log(`    ${line}`)
        log(`  ${file}`)
      }
    }
    const blocks = ORDER.length / SIDES.length
    const per = (side: string, m: string) => (modules.get(side)!.get(m) ?? 0) / (blocks * REQUESTS)
    log('\nSampled µs a request by module (nearest bundle frame; I/O waits included, see top):')
    const names = new Set([...modules.values()].flatMap((m) => [...m.keys()]))
    const rows = [...names]
      .map((m) => ({ m, us: SIDES.map((s) => per(s.name, m)) }))
      .sort((a, b) => Math.max(...b.us) - Math.max(...a.us))
      .slice(0, 30)
    log(`  ${'module'.padEnd(44)} ${SIDES.map((s) => s.name.padStart(9)).join(' ')}`)
    for (const r of rows) {
      log(`  ${r.m.padEnd(44)} ${r.us.map((us) => us.toFixed(1).padStart(9)).join(' ')}`)
    }
    for (const side of SIDES) {
      const s = [...lat.get(side.name)!].sort((a, b) => a - b)
      log(
        `${side.name}: p50 ${quantile(s, 0.5).toFixed(0)} µs, p99 ${quantile(s, 0.99).toFixed(0)} µs, ` +
          `workerd CPU ${(cpu.get(side.name)! / 1000 / (blocks * REQUESTS)).toFixed(0)} µs a request`,
      )
    }
    for (const c of Object.values(conns)) c.close()
  } finally {
    setup.close()
    await server.dispose()
  }
  log(
    `load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
}

await main()
