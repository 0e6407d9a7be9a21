import { deliverNotifications } from '../channel/push'
import { purgeFeedNonces } from './feed'
import { recordBillReminders } from './reminders'

/**
 * Cron: reminders for bills due within 3 days, handed at once to the phones connected to the
 * household channel (the rest wait in the outbox for a phone to connect), then expired feed
 * replay markers.
 */
export async function billsMaintenance(env: Env, now: number) {
  const reminders = await recordBillReminders(env, now)
  const pushed = await deliverNotifications(env, reminders.userIds)
  const nonces = await purgeFeedNonces(env, now)
  return {
    reminders: reminders.recorded,
    reminders_delivered: pushed.delivered,
    feed_nonces_deleted: nonces.deleted,
  }
}
