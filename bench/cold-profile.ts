// CPU profiles of cache misses (`npx tsx bench/cold-profile.ts [--requests N] [--interval µs]`):
// the `cached` instance (both cache layers on) and the `uncached` one (the D1 path) each serve
// product details nobody read before, at 1 connection, in alternating blocks (cached, uncached,
// uncached, cached), under workerd's V8 profiler. Prints per block the latency, the workerd
// process's CPU time per request (/proc/<pid>/task/*/schedstat: every thread, the D1 simulator
// included), the functions with most self time; then per bundle module (src/http/cache.ts,
// lru-cache, …) the time of the samples whose nearest bundle frame is in it, per request.
// Caveat, learnt the hard way: workerd does not mark the isolate idle while it waits for I/O, so
// the profiler charges a wait to the frame that resumes after it (an `await` of D1 shows up as
// time in the awaiting function); compare modules, not single async functions, and read the
// schedstat figure for CPU. Not part of `npm run bench` (docs/scale.md, "Cold catalog reads").
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
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

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '1500' },
    dir: { type: 'string', default: path.join(DATA_DIR, 'profiles') },
    port: { type: 'string', default: '8781' },
    interval: { type: 'string', default: '1000' },
  },
})
const REQUESTS = Number(args.requests)
const INSPECTOR_PORT = Number(args.port)
const log = (line: string) => console.log(line)
mkdirSync(args.dir, { recursive: true })

/** Our Miniflare's workerd: the `workerd serve` process descending from this one. */
function workerdPid(): number {
  const isOurs = (pid: number) => {
    for (let at = pid; at > 1; ) {
      if (at === process.pid) return true
      const stat = readFileSync(`/proc/${at}/stat`, 'utf8')
      at = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    }
    return false
  }
  const pids = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workerd') && isOurs(pid)
      } catch {
        return false
      }
    })
  if (pids.length !== 1) throw new Error(`expected one workerd of ours, found ${pids.join(', ')}`)
  return pids[0]!
}

/** CPU time of every thread of `pid`, in ns (schedstat's first field). */
function cpuNs(pid: number): number {
  let sum = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // the thread ended
    }
  }
  return sum
}

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
    // Distinct products: 4 blocks of REQUESTS plus warm-up.
    const need = 4 * REQUESTS + 800
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
      cached: new Connections(server.url.cached, 1),
      uncached: new Connections(server.url.uncached, 1),
    }
    const block = async (target: 'cached' | 'uncached', n: number) => {
      const micros: number[] = []
      for (let k = 0; k < n; k++) {
        const res = await conns[target].send({ path: `/v1/products/${take()}` })
        if (res.status !== 200) throw new Error(`${target} answered ${res.status}`)
        micros.push(res.micros)
      }
      return micros
    }
    // Warm both isolates' code paths (and take the cached one's edge policy to its steady state).
    for (const t of ['cached', 'uncached', 'uncached', 'cached'] as const) {
      const s = (await block(t, 200)).sort((a, b) => a - b)
      log(
        `unprofiled ${t}: p50 ${quantile(s, 0.5).toFixed(0)} µs, p99 ${quantile(s, 0.99).toFixed(0)} µs`,
      )
    }

    const pid = workerdPid()
    const moduleAt = moduleMap(readFileSync(script, 'utf8'))
    const order = ['cached', 'uncached', 'uncached', 'cached'] as const
    const modules = { cached: new Map<string, number>(), uncached: new Map<string, number>() }
    const cpu = { cached: 0, uncached: 0 }
    const lat: Record<string, number[]> = { cached: [], uncached: [] }
    for (const [k, target] of order.entries()) {
      const profiler = await startProfiler(INSPECTOR_PORT, target, Number(args.interval))
      const cpuAt = cpuNs(pid)
      let micros: number[] = []
      try {
        micros = await block(target, REQUESTS)
      } finally {
        const used = cpuNs(pid) - cpuAt
        const file = path.join(args.dir, `miss-${target}-${k}-${Date.now()}.cpuprofile`)
        const profile = await profiler.stop(file)
        profiler.close()
        cpu[target] += used
        lat[target]!.push(...micros)
        for (const [m, us] of byModule(profile, moduleAt)) {
          modules[target].set(m, (modules[target].get(m) ?? 0) + us)
        }
        const sorted = [...micros].sort((a, b) => a - b)
        log(
          `\n${target} block ${k}: p50 ${quantile(sorted, 0.5).toFixed(0)} µs, p99 ` +
            `${quantile(sorted, 0.99).toFixed(0)} µs, workerd CPU ` +
            `${(used / 1000 / REQUESTS).toFixed(0)} µs a request; load ${os.loadavg()[0]!.toFixed(2)}`,
        )
        for (const line of summarize(profile, 12)) log(`    ${line}`)
        log(`  ${file}`)
      }
    }
    const per = (t: 'cached' | 'uncached', m: string) => (modules[t].get(m) ?? 0) / (2 * REQUESTS)
    log('\nSampled µs a request by module (nearest bundle frame; I/O waits included, see top):')
    const names = new Set([...modules.cached.keys(), ...modules.uncached.keys()])
    const rows = [...names]
      .map((m) => ({ m, c: per('cached', m), u: per('uncached', m) }))
      .sort((a, b) => Math.max(b.c, b.u) - Math.max(a.c, a.u))
      .slice(0, 30)
    for (const r of rows) {
      log(
        `  ${r.m.padEnd(44)} cached ${r.c.toFixed(1).padStart(7)}  uncached ` +
          `${r.u.toFixed(1).padStart(7)}  Δ ${(r.c - r.u).toFixed(1)}`,
      )
    }
    for (const t of ['cached', 'uncached'] as const) {
      const s = [...lat[t]!].sort((a, b) => a - b)
      log(
        `${t}: p50 ${quantile(s, 0.5).toFixed(0)} µs, p99 ${quantile(s, 0.99).toFixed(0)} µs, ` +
          `workerd CPU ${(cpu[t] / 1000 / (2 * REQUESTS)).toFixed(0)} µs a request`,
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
