import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT } from './config'
import type { Probe, ScenarioResult } from './measure'
import type { Targets } from './scenarios/registry'

export type Check = { target: string; limit: number; actual: number; pass: boolean }

/**
 * The median probe by D1 round trips: a request that also re-reads the catalog version (which an
 * isolate does at most once a second) is real but not typical; every probe is in results.json.
 */
export function typicalProbe(result: ScenarioResult): Probe {
  const byCost = (a: Probe, b: Probe) => a.d1Queries - b.d1Queries || a.rowsRead - b.rowsRead
  const sorted = [...result.probes].sort(byCost)
  return sorted[Math.floor((sorted.length - 1) / 2)]
}

/** Each limit the scenario set: D1 and rows by the typical probe, bytes by the largest. */
export function evaluate(result: ScenarioResult, targets: Targets | undefined): Check[] {
  if (!targets) return []
  const checks: Check[] = []
  const add = (target: string, limit: number | undefined, actual: number, atMost = true) => {
    if (limit === undefined || Number.isNaN(actual)) return
    checks.push({ target, limit, actual, pass: atMost ? actual <= limit : actual >= limit })
  }
  add('D1 round trips', targets.d1Queries, typicalProbe(result).d1Queries)
  add('rows_read', targets.rowsRead, typicalProbe(result).rowsRead)
  add('bytes', targets.maxBytes, Math.max(...result.probes.map((p) => p.bytes)))
  const single = result.levels.find((l) => l.connections === 1)
  add('Δp50 µs @1', targets.p50DeltaUs, single?.deltaP50Us ?? NaN)
  add('Δp99 µs @1', targets.p99DeltaUs, single?.deltaP99Us ?? NaN)
  const widest = result.levels.at(-1)
  if (widest && widest.connections > 1) {
    const label = `×baseline @${widest.connections}`
    add(label, targets.minThroughputRatio, Number(widest.throughputRatio.toFixed(2)), false)
  }
  return [...checks, ...headToHeadChecks(result, targets)]
}

/** The `notSlowerThan` checks: the route against its reference, timed head to head. */
function headToHeadChecks(result: ScenarioResult, targets: Targets): Check[] {
  const rule = targets.notSlowerThan
  if (!rule) return []
  const checks: Check[] = []
  for (const level of result.levels) {
    const v = level.versus
    if (!v) continue
    const at = `vs ${v.name} @${level.connections}`
    const add = (target: string, limit: number, actual: number) =>
      checks.push({ target, limit, actual, pass: actual <= limit })
    add(`Δp50 ${at}`, rule.p50SlackUs, v.p50DiffUs)
    add(`Δp99 ${at}`, rule.p99SlackUs, v.p99DiffUs)
  }
  return checks
}

const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/

/** Display width: CJK characters take two columns in a terminal. */
function width(s: string) {
  let w = 0
  for (const ch of s) w += WIDE.test(ch) ? 2 : 1
  return w
}

function columns(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i]))))
  const padCell = (c: string, i: number) => {
    const fill = ' '.repeat(widths[i] - width(c))
    return i === 0 || i === head.length - 1 ? c + fill : fill + c
  }
  const line = (cells: string[]) => cells.map(padCell).join('  ').trimEnd()
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

const spread = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const median = sorted[Math.floor((sorted.length - 1) / 2)]
  return `${median} [${sorted[0]}..${sorted.at(-1)}]`
}

/**
 * Rows timed head to head against a reference: both sides' p50/p99, the difference (route
 * minus reference; negative: the route is faster), and the same difference round by round as
 * median [min..max], so a reader sees whether a verdict is steady or one round's luck.
 */
export function formatVersus(results: ScenarioResult[]): string | null {
  const head = [
    'route vs reference',
    'conn',
    'p50 ms',
    'ref p50',
    'p99 ms',
    'ref p99',
    'req/s',
    'ref req/s',
    'Δp50 µs',
    'Δp99 µs',
    'rounds',
    'Δp50 µs by round',
    'Δp99 µs by round',
  ]
  const rows: string[][] = []
  for (const r of results) {
    for (const l of r.levels) {
      const v = l.versus
      if (!v) continue
      rows.push([
        `${r.name} vs ${v.name}`,
        String(l.connections),
        l.route.p50Ms.toFixed(2),
        v.reference.p50Ms.toFixed(2),
        l.route.p99Ms.toFixed(2),
        v.reference.p99Ms.toFixed(2),
        String(Math.round(l.route.reqPerSec)),
        String(Math.round(v.reference.reqPerSec)),
        String(v.p50DiffUs),
        String(v.p99DiffUs),
        String(v.rounds.length),
        spread(v.rounds.map((x) => x.p50DiffUs)),
        spread(v.rounds.map((x) => x.p99DiffUs)),
      ])
    }
  }
  return rows.length === 0 ? null : columns(head, rows)
}

export function formatTable(results: Array<ScenarioResult & { checks: Check[] }>): string {
  const head = [
    'route',
    'conn',
    'p50 ms',
    'p99 ms',
    'req/s',
    'base p50',
    'base p99',
    'base req/s',
    'Δp50 µs',
    'Δp99 µs',
    '×base',
    'D1',
    'rows',
    'bytes',
    'targets',
  ]
  const rows: string[][] = []
  for (const r of results) {
    const probe = r.probes.length > 0 ? typicalProbe(r) : undefined
    const failed = r.checks.filter((c) => !c.pass).map((c) => `✗ ${c.target} ${c.actual}`)
    const met = failed.length === 0 ? `✓ ${r.checks.length}` : failed.join('; ')
    const verdict = r.checks.length === 0 ? '' : met
    r.levels.forEach((l, n) => {
      rows.push([
        n === 0 ? r.name : '',
        String(l.connections),
        l.route.p50Ms.toFixed(2),
        l.route.p99Ms.toFixed(2),
        String(Math.round(l.route.reqPerSec)),
        l.baseline.p50Ms.toFixed(2),
        l.baseline.p99Ms.toFixed(2),
        String(Math.round(l.baseline.reqPerSec)),
        String(l.deltaP50Us),
        String(l.deltaP99Us),
        l.throughputRatio.toFixed(2),
        n === 0 && probe ? String(probe.d1Queries) : '',
        n === 0 && probe ? String(probe.rowsRead) : '',
        n === 0 && probe ? String(probe.bytes) : '',
        n === 0 ? verdict : '',
      ])
    })
  }
  return columns(head, rows)
}

function versionOf(pkg: string): string {
  const file = path.join(ROOT, 'node_modules', pkg, 'package.json')
  return JSON.parse(readFileSync(file, 'utf8')).version
}

export function machine() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    /** 1, 5 and 15 minute load averages when the run ended: others' work skews figures. */
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    node: process.version,
    miniflare: versionOf('miniflare'),
    wrangler: versionOf('wrangler'),
  }
}
