export type DevWorkerOptions = {
  /** A directory of the caller's: dev.vars (fresh secrets) and state (local D1) go in it. */
  dir: string
  /** The Worker's port, the next two for its inspector and the Alipay sandbox; none: free ports. */
  port?: number
  /** Seed the demo data with this many products (scripts/seed.ts); none: migrations only. */
  seedProducts?: number
  /** `wrangler dev --test-scheduled` (GET /__scheduled runs the cron). */
  testScheduled?: boolean
  /** Show dev-setup's and the seed's output (errors are always shown). */
  showSetup?: boolean
  /** Worker vars over wrangler.toml's (`--var NAME:value`), e.g. a short PAYMENT_TTL_SECONDS. */
  vars?: Record<string, string>
}

export type DevWorker = {
  base: string
  /** The --persist-to directory (local D1), still there after stop(). */
  state: string
  /** The secrets file (ADMIN_TOKEN and the rest). */
  vars: string
  /** The last 20,000 characters wrangler dev printed. */
  log: () => string
  /** Ends wrangler dev and the sandbox. */
  stop: () => void
}

export function startDevWorker(options: DevWorkerOptions): Promise<DevWorker>
