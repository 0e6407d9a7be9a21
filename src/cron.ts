import { authMaintenance } from './auth/maintenance'
import { paymentsMaintenance, retryCompensations, syncAlipayTrades } from './payments'
import { scheduleSettlement } from './deals/settlement-queue'
import { billsMaintenance } from './bills/maintenance'
import { purgeTickets } from './channel/tickets'
import { purposes } from './wiring'

/** Everything the cron trigger runs, in order. Each task must be idempotent and resumable. */
export type CronTask = { name: string; run: (env: Env, now: number) => Promise<unknown> }

export const cronTasks: CronTask[] = [
  { name: 'auth.maintenance', run: authMaintenance },
  { name: 'payments.maintenance', run: (env, now) => paymentsMaintenance(env, purposes, now) },
  { name: 'payments.alipay', run: (env, now) => syncAlipayTrades(env, purposes, now) },
  { name: 'payments.compensations', run: retryCompensations },
  { name: 'deals.settlement', run: scheduleSettlement },
  { name: 'bills.maintenance', run: billsMaintenance },
  { name: 'channel.maintenance', run: (env, now) => purgeTickets(env, now) },
]

export async function runScheduled(env: Env, now = Date.now()) {
  const results: Record<string, unknown> = {}
  for (const task of cronTasks) {
    try {
      results[task.name] = await task.run(env, now)
    } catch (err) {
      // One failing task must not stop the others; the next tick retries it.
      console.error(
        JSON.stringify({
          cron: task.name,
          error: err instanceof Error ? err.message : String(err),
        }),
      )
      results[task.name] = { error: true }
    }
  }
  return results
}
