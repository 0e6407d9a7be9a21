import { Connections, type BenchRequest, type BenchResponse } from './http'
import type { Scenario } from './scenarios/registry'
import type { BenchServer } from './server'
import { quantile } from './quantile'

export const BASELINE_PATH = '/__bench/baseline'
const STATS_HEADER = { 'x-bench-d1-stats': '1' }

export type Plan = {
  rounds: number
  /** Rounds for a scenario timed against a reference (Scenario.versus): tails need samples. */
  versusRounds: number
  /** Requests per block at 1 connection; a block at N connections sends N/2 times as many. */
  blockAt1: number
  warmup: number
  probes: number
}

export type Summary = {
  requests: number
  p50Ms: number
  p99Ms: number
  meanMs: number
  reqPerSec: number
}

/** A route against its reference, timed in the same rounds: route minus reference, in µs. */
export type VersusResult = {
  name: string
  target: string
  reference: Summary
  /**
   * p50: the median of the rounds' differences (a round's route and reference blocks run back to
   * back, so drift cancels within it); p99: every request of each side pooled (a tail needs
   * samples: a round's p99 at 1 connection is its 2nd-slowest request).
   */
  p50DiffUs: number
  p99DiffUs: number
  /**
   * The same differences round by round (each round's 2 route blocks against its 2 reference
   * blocks, pooled): the spread.
   */
  rounds: Array<{ p50DiffUs: number; p99DiffUs: number }>
}

export type LevelResult = {
  connections: number
  route: Summary
  baseline: Summary
  deltaP50Us: number
  deltaP99Us: number
  throughputRatio: number
  versus?: VersusResult
}

export type Probe = {
  status: number
  bytes: number
  d1Queries: number
  rowsRead: number
  rowsWritten: number
}

export type ScenarioResult = {
  name: string
  target: string
  note?: string
  path: string
  probes: Probe[]
  levels: LevelResult[]
}

type Block = { micros: number[]; seconds: number }

const ascending = (a: number, b: number) => a - b

/**
 * p50 is the median of the blocks' medians: a burst of other work on the machine that spoils a
 * block or two moves it little. p99 pools every request: the tail is what such bursts do.
 */
function summarize(blocks: Block[]): Summary {
  const micros = blocks.flatMap((b) => b.micros).sort(ascending)
  const median = (b: Block) => quantile([...b.micros].sort(ascending), 0.5)
  const blockMedians = blocks.map(median).sort(ascending)
  const seconds = blocks.reduce((sum, b) => sum + b.seconds, 0)
  const mean = micros.reduce((sum, m) => sum + m, 0) / micros.length
  return {
    requests: micros.length,
    p50Ms: quantile(blockMedians, 0.5) / 1000,
    p99Ms: quantile(micros, 0.99) / 1000,
    meanMs: mean / 1000,
    reqPerSec: micros.length / seconds,
  }
}

function pooled(blocks: Block[], q: number): number {
  return quantile(blocks.flatMap((b) => b.micros).sort(ascending), q)
}

/** Route minus reference, overall and round by round (blocks in round order, 2 per round). */
function headToHead(route: Block[], reference: Block[]) {
  const r = summarize(route)
  const v = summarize(reference)
  const rounds = []
  for (let k = 0; k + 1 < route.length; k += 2) {
    const mine = route.slice(k, k + 2)
    const theirs = reference.slice(k, k + 2)
    rounds.push({
      p50DiffUs: Math.round(pooled(mine, 0.5) - pooled(theirs, 0.5)),
      p99DiffUs: Math.round(pooled(mine, 0.99) - pooled(theirs, 0.99)),
    })
  }
  const p50s = rounds.map((x) => x.p50DiffUs).sort(ascending)
  return {
    reference: v,
    p50DiffUs: p50s[Math.floor((p50s.length - 1) / 2)]!,
    p99DiffUs: Math.round((r.p99Ms - v.p99Ms) * 1000),
    rounds,
  }
}

class Failure extends Error {}

function check(res: BenchResponse, req: BenchRequest, ok: (status: number) => boolean) {
  if (!ok(res.status)) {
    const body = res.body.toString('utf8').slice(0, 300)
    throw new Failure(`${req.method ?? 'GET'} ${req.path} answered ${res.status}: ${body}`)
  }
}

/** `count` requests over `conns`, as many in flight as there are connections. */
async function runBlock(
  conns: Connections,
  next: () => BenchRequest,
  count: number,
  ok: (status: number) => boolean,
): Promise<Block> {
  const micros: number[] = []
  let sent = 0
  const started = process.hrtime.bigint()
  const loop = async () => {
    while (sent < count) {
      sent++
      const req = next()
      const res = await conns.send(req)
      check(res, req, ok)
      micros.push(res.micros)
    }
  }
  await Promise.all(Array.from({ length: conns.count }, loop))
  return { micros, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}

function header(res: BenchResponse, name: string): number {
  const value = res.headers[name]
  if (value === undefined) throw new Failure(`the Worker did not send ${name}: is BENCH=1 set?`)
  return Number(value)
}

export async function runScenario(
  server: BenchServer,
  scenario: Scenario,
  plan: Plan,
  log: (line: string) => void,
): Promise<ScenarioResult> {
  const ok = scenario.ok ?? ((status: number) => status === 200)
  let i = 0
  const nextRoute = () => scenario.request(i++)
  const baselineRequest: BenchRequest = { path: BASELINE_PATH }
  const origin = server.url[scenario.target]

  const probeConn = new Connections(origin, 1)
  const probes: Probe[] = []
  const firstPath = scenario.request(i).path
  try {
    // Probes measure the steady state: a cache-hit scenario's cache is filled first.
    await runBlock(probeConn, nextRoute, Math.max(plan.warmup, scenario.warmup ?? 0), ok)
    for (let p = 0; p < plan.probes; p++) {
      const req = nextRoute()
      const res = await probeConn.send({ ...req, headers: { ...req.headers, ...STATS_HEADER } })
      check(res, req, ok)
      probes.push({
        status: res.status,
        bytes: res.body.length,
        d1Queries: header(res, 'x-d1-queries'),
        rowsRead: header(res, 'x-d1-rows-read'),
        rowsWritten: header(res, 'x-d1-rows-written'),
      })
    }
  } finally {
    probeConn.close()
  }

  const versus = scenario.versus
  let j = 0
  const nextReference = () => versus!.request(j++)
  const rounds = versus ? plan.versusRounds : plan.rounds

  const levels: LevelResult[] = []
  for (const connections of scenario.connections ?? [1, 8]) {
    const conns = new Connections(origin, connections)
    const refConns = versus ? new Connections(server.url[versus.target], connections) : null
    try {
      const perBlock = Math.round((plan.blockAt1 * Math.max(2, connections)) / 2)
      const warm = plan.warmup * connections
      const isOk = (s: number) => s === 200
      await runBlock(conns, () => baselineRequest, warm, isOk)
      await runBlock(conns, nextRoute, warm, ok)
      if (refConns) await runBlock(refConns, nextReference, warm, ok)
      const route: Block[] = []
      const baseline: Block[] = []
      const reference: Block[] = []
      const base = () => runBlock(conns, () => baselineRequest, perBlock, isOk)
      const mine = () => runBlock(conns, nextRoute, perBlock, ok)
      const theirs = () => runBlock(refConns!, nextReference, perBlock, ok)
      for (let round = 0; round < rounds; round++) {
        // ABBA: drift (other work on the machine, GC, JIT) falls on both sides alike. With a
        // reference, A B C C B A, and every other round A C B B C A, so neither side is always
        // the one right after the baseline.
        baseline.push(await base())
        if (refConns) {
          const [outer, inner] = round % 2 === 0 ? [mine, theirs] : [theirs, mine]
          const [outerBlocks, innerBlocks] =
            round % 2 === 0 ? [route, reference] : [reference, route]
          outerBlocks.push(await outer())
          innerBlocks.push(await inner())
          innerBlocks.push(await inner())
          outerBlocks.push(await outer())
        } else {
          route.push(await mine())
          route.push(await mine())
        }
        baseline.push(await base())
      }
      const r = summarize(route)
      const b = summarize(baseline)
      const level: LevelResult = {
        connections,
        route: r,
        baseline: b,
        deltaP50Us: Math.round((r.p50Ms - b.p50Ms) * 1000),
        deltaP99Us: Math.round((r.p99Ms - b.p99Ms) * 1000),
        throughputRatio: r.reqPerSec / b.reqPerSec,
      }
      if (versus) {
        level.versus = { name: versus.name, target: versus.target, ...headToHead(route, reference) }
      }
      levels.push(level)
      log(
        `  ${scenario.name} @${connections}: p50 ${r.p50Ms.toFixed(2)} ms ` +
          `(${level.deltaP50Us} µs over baseline), ${Math.round(r.reqPerSec)} req/s ` +
          `(${level.throughputRatio.toFixed(2)}x baseline)` +
          (level.versus
            ? `; vs ${level.versus.name}: p50 ${level.versus.p50DiffUs} µs, ` +
              `p99 ${level.versus.p99DiffUs} µs`
            : ''),
      )
    } finally {
      conns.close()
      refConns?.close()
    }
  }
  const { name, target, note } = scenario
  return { name, target, note, path: firstPath, probes, levels }
}

export { Failure }
