import { app } from './app'
import { runScheduled } from './cron'
import {
  consumeDeadLetters,
  consumeSettlement,
  SETTLEMENT_DLQ,
  type SettlementMessage,
} from './deals/settlement-queue'
import { purposes } from './wiring'

export { PaymentWaits } from './payments'
export { Household } from './channel/household'
export { HotDeal } from './deals/hot-deal'

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(env, controller.scheduledTime))
  },
  async queue(batch, env) {
    if (batch.queue === SETTLEMENT_DLQ) return consumeDeadLetters(batch)
    await consumeSettlement(batch, env, purposes)
  },
} satisfies ExportedHandler<Env, SettlementMessage>
