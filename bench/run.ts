// npm run bench: build the Worker as a deploy would, start it with Miniflare on a local D1 of
// 100,000 products (built once, cached in bench/.data/), and measure every registered scenario
// against a constant-JSON baseline route of the same Worker. Prints a table; writes
// bench/results.json. Options:
//   --only <regex>   run only scenarios whose name matches
//   --quick          fewer requests (a smoke run; figures are noisier)
//   --rounds <n>     ABBA rounds per connection level (default 3; at least 12 for a row timed
//                    head to head against a reference, see Scenario.versus)
// The household channel (bench/channel.ts) runs after the HTTP scenarios when --only is absent or
// matches "channel"; `--only channel` runs it alone (no catalog database needed). The hot deal
// (bench/hot-deal.ts: 200 joiners on one deal, a sell-out, 10,000 holds settled through the
// queue) likewise: `--only 'hot deal'` runs it alone.
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { buildWorker } from './build'
import {
  CHANNEL_PLAN,
  CHANNEL_QUICK,
  type ChannelResult,
  formatChannel,
  runChannelBench,
} from './channel'
import { BENCH_PRODUCTS, RESULTS_FILE } from './config'
import {
  formatHotDeal,
  HOT_DEAL_PLAN,
  HOT_DEAL_QUICK,
  type HotDealResult,
  runHotDealBench,
} from './hot-deal'
import { ensureBenchData } from './data'
import { Connections } from './http'
import { type Plan, runScenario, type ScenarioResult } from './measure'
import { evaluate, formatTable, formatVersus, machine } from './report'
import { scenarioGroups } from './scenarios/index'
import type { Scenario, ScenarioContext } from './scenarios/registry'
import { BENCH_TARGETS, type BenchTarget, startBenchServer } from './server'

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
  },
})

const plan: Plan = args.quick
  ? { rounds: 2, versusRounds: 2, blockAt1: 20, warmup: 10, probes: 2 }
  : {
      rounds: Number(args.rounds),
      versusRounds: Math.max(12, Number(args.rounds)),
      blockAt1: 60,
      warmup: 30,
      probes: 3,
    }
if (!Number.isInteger(plan.rounds) || plan.rounds < 1) throw new Error('--rounds must be ≥ 1')
const only = args.only ? new RegExp(args.only) : null
const alone = args.only === 'channel' || args.only === 'hot deal'
const log = (line: string) => console.log(line)

const started = Date.now()
const loadAtStart = os.loadavg().map((l) => Number(l.toFixed(2)))
log('Building the Worker (wrangler deploy --dry-run)…')
const { script, source } = buildWorker()

let channel: ChannelResult | null = null
if (!only || only.test('channel')) {
  channel = await runChannelBench(script, args.quick ? CHANNEL_QUICK : CHANNEL_PLAN, log)
}
let hotDeal: HotDealResult | null = null
if (!only || only.test('hot deal')) {
  log('Hot deal: 200 joiners on one deal, a sell-out, holds settled through the queue…')
  hotDeal = await runHotDealBench(script, args.quick ? HOT_DEAL_QUICK : HOT_DEAL_PLAN, log)
}
if (alone) {
  const report = {
    date: new Date().toISOString(),
    machine: { ...machine(), loadAverageAtStart: loadAtStart },
    build: source,
    seconds: Math.round((Date.now() - started) / 1000),
    channel,
    hotDeal,
  }
  writeFileSync(RESULTS_FILE, JSON.stringify(report, null, 2) + '\n')
  log('')
  if (channel) log(formatChannel(channel))
  if (hotDeal) log(formatHotDeal(hotDeal))
  log(`Wrote ${RESULTS_FILE} (${report.seconds} s)`)
  process.exit(0)
}

const data = await ensureBenchData(log)
const server = await startBenchServer(script)
log(`Worker up: ${BENCH_TARGETS.map((t) => `${t} ${server.url[t]}`).join(', ')}`)

const setupConns = Object.fromEntries(
  BENCH_TARGETS.map((t) => [t, new Connections(server.url[t], 1)]),
) as Record<BenchTarget, Connections>
const ctx: ScenarioContext = {
  server,
  async send(target, req) {
    const res = await setupConns[target].send(req)
    const text = res.body.toString('utf8')
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON: hand the text back as it is
    }
    return { status: res.status, body }
  },
  async getJson(target, path) {
    const res = await ctx.send(target, { path })
    if (res.status !== 200) {
      throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body)}`)
    }
    return res.body as never
  },
  log,
}

const results: Array<ScenarioResult & { group: string; checks: ReturnType<typeof evaluate> }> = []
const failures: string[] = []
try {
  for (const group of scenarioGroups()) {
    let scenarios: Scenario[]
    try {
      scenarios = await group.setup(ctx)
    } catch (err) {
      failures.push(`${group.name} setup: ${(err as Error).message}`)
      log(`✗ ${group.name}: setup failed: ${(err as Error).message}`)
      continue
    }
    for (const scenario of scenarios) {
      if (only && !only.test(scenario.name)) continue
      try {
        const result = await runScenario(server, scenario, plan, log)
        results.push({ ...result, group: group.name, checks: evaluate(result, scenario.targets) })
      } catch (err) {
        failures.push(`${scenario.name}: ${(err as Error).message}`)
        log(`✗ ${scenario.name}: ${(err as Error).message}`)
      }
    }
  }
} finally {
  for (const conns of Object.values(setupConns)) conns.close()
  if (failures.length > 0) {
    const tail = server.stderrTail().trim()
    if (tail) log(`Runtime stderr (last lines):\n${tail}`)
  }
  await server.dispose()
}

const report = {
  date: new Date().toISOString(),
  machine: { ...machine(), loadAverageAtStart: loadAtStart },
  build: source,
  data: { ...data, requested: BENCH_PRODUCTS },
  plan,
  seconds: Math.round((Date.now() - started) / 1000),
  failures,
  scenarios: results,
  channel,
  hotDeal,
}
writeFileSync(RESULTS_FILE, JSON.stringify(report, null, 2) + '\n')
log('')
log(formatTable(results))
log('')
const versus = formatVersus(results)
if (versus) {
  log(versus)
  log('')
}
if (channel) {
  log(formatChannel(channel))
  log('')
}
if (hotDeal) {
  log(formatHotDeal(hotDeal))
  log('')
}
const checks = results.flatMap((r) => r.checks)
const missed = checks.filter((c) => !c.pass).length
log(`Targets: ${checks.length - missed} met, ${missed} missed (✗ cells above)`)
log(`Wrote ${RESULTS_FILE} (${report.seconds} s)`)
if (failures.length > 0) {
  log(`${failures.length} scenario(s) failed:\n  ${failures.join('\n  ')}`)
  process.exitCode = 1
}
