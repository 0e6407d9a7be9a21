import { purgeFeedNonces } from './feed'
import { recordBillReminders } from './reminders'

/** Cron: reminders for bills due within 3 days, then expired feed replay markers. */
export async function billsMaintenance(env: Env, now: number) {
  const reminders = await recordBillReminders(env, now)
  const nonces = await purgeFeedNonces(env, now)
  return { reminders: reminders.recorded, feed_nonces_deleted: nonces.deleted }
}
