import type { BenchRequest } from '../http'
import type { BenchServer, BenchTarget } from '../server'

/** Limits a scenario is judged against; each one the scenario sets becomes a ✓/✗ column. */
export type Targets = {
  /** D1 round trips per request (a batch is one). */
  d1Queries?: number
  rowsRead?: number
  /** Response body bytes. */
  maxBytes?: number
  /** Added to the baseline at 1 connection, in µs. */
  p50DeltaUs?: number
  p99DeltaUs?: number
  /** Throughput at the highest connection count, as a fraction of the baseline's. */
  minThroughputRatio?: number
  /**
   * No slower than the scenario's `versus` route, timed head to head in the same rounds: this
   * route's p50 (median of block medians) and p99 (pooled) minus the reference's, at each
   * connection count, within the slack (µs).
   */
  notSlowerThan?: { p50SlackUs: number; p99SlackUs: number }
}

/** A reference route for a head-to-head comparison (see Scenario.versus). */
export type Versus = {
  /** Names the reference in the report, e.g. `D1 path`. */
  name: string
  target: BenchTarget
  /** The reference's own counter, like Scenario.request. */
  request(i: number): BenchRequest
}

export type Scenario = {
  /** Unique, short: it names a table row and a results.json entry. */
  name: string
  /** Which Worker instance serves it (see server.ts): the cache on, or every read a miss. */
  target: BenchTarget
  /**
   * The i-th request (i counts up across probes, warm-up and timed requests and never repeats),
   * so a scenario can make every request distinct, e.g. to miss a cache on purpose.
   */
  request(i: number): BenchRequest
  /** Which statuses count as success (default: 200). Anything else fails the run. */
  ok?(status: number): boolean
  /**
   * Requests before the probes, at least the plan's warm-up: a warm row that cycles N pages asks
   * for N, so every page is cached before the first timed request.
   */
  warmup?: number
  /** Connection counts to run at (default [1, 8]). */
  connections?: number[]
  targets?: Targets
  /**
   * Timed against this reference in the same rounds (baseline, route, reference, reference,
   * route, baseline), for the plan's `versusRounds`: a p99 compared with another row's p99,
   * each over its own baseline minutes apart, differs by tens of ms from run to run at 8
   * connections on 2 shared cores; head to head, both sides share the same moments.
   */
  versus?: Versus
  /** One line for the report: what the row measures. */
  note?: string
}

export type ScenarioContext = {
  server: BenchServer
  /** GET that must answer 200 JSON; throws with the problem body otherwise. */
  getJson<T = unknown>(target: BenchTarget, path: string): Promise<T>
  send(target: BenchTarget, req: BenchRequest): Promise<{ status: number; body: unknown }>
  log(line: string): void
}

/** A capability's scenarios; setup may read or write through the API to find ids and cursors. */
export type ScenarioGroup = {
  name: string
  setup(ctx: ScenarioContext): Promise<Scenario[]>
}

const groups: ScenarioGroup[] = []

/** Called at import by each scenarios/<capability>.ts; listed in scenarios/index.ts. */
export function registerScenarioGroup(group: ScenarioGroup) {
  if (groups.some((g) => g.name === group.name)) throw new Error(`duplicate group ${group.name}`)
  groups.push(group)
}

export function scenarioGroups(): readonly ScenarioGroup[] {
  return groups
}
