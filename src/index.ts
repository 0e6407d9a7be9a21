import { app } from './app'
import { runScheduled } from './cron'

export { PaymentWaits } from './payments'
export { Household } from './channel/household'
export { HotDeal } from './deals/hot-deal'

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(env, controller.scheduledTime))
  },
} satisfies ExportedHandler<Env>
