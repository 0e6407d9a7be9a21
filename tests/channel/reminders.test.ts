import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { chinaDate } from '../../src/bills/dates'
import { billsMaintenance } from '../../src/bills/maintenance'
import { deliverNotifications } from '../../src/channel/push'
import { newId } from '../../src/lib/ids'
import { call } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'
import {
  accountNumber,
  billLine,
  createBiller,
  feedBill,
  link,
  member,
  useFeedKey,
} from '../bills/helpers'
import { closeAll, join } from './helpers'

beforeAll(useFeedKey)

let at = Date.now() - 3600_000
/** A reminder written straight into the outbox, as the cron writes them. */
async function remind(userId: string, title: string) {
  const id = newId('notification')
  await env.DB.prepare(
    `INSERT INTO notifications (id, user_id, kind, subject_id, title, body, data, created_at)
     VALUES (?, ?, 'bill_due', ?, ?, 'body', '{"bill_id":"bill_x"}', ?)`,
  )
    .bind(id, userId, newId('bill'), title, ++at)
    .run()
  return id
}

async function deliveredAt(id: string) {
  const row = await env.DB.prepare('SELECT delivered_at FROM notifications WHERE id = ?')
    .bind(id)
    .first<{ delivered_at: number | null }>()
  return row!.delivered_at
}

describe('household channel: bill reminders from the outbox', () => {
  it('a phone that connects gets what is pending, oldest first, once; TVs never', async () => {
    const user = await createTestUser()
    const neighbour = await createTestUser()
    const device = await createTestDevice(user.id)
    const first = await remind(user.id, 'gas')
    const second = await remind(user.id, 'water')
    const theirs = await remind(neighbour.id, 'not yours')

    const tv = await join(device.token)
    expect(await deliveredAt(first)).toBeNull()
    const phone = await join(user.token)
    const one = await phone.next('notification')
    const two = await phone.next('notification')
    expect([one.notification.id, two.notification.id]).toEqual([first, second])
    expect(one.notification).toMatchObject({
      kind: 'bill_due',
      title: 'gas',
      data: { bill_id: 'bill_x' },
      delivered_at: null,
    })
    await expect.poll(() => deliveredAt(second)).not.toBeNull()
    expect(await deliveredAt(first)).not.toBeNull()
    expect(await deliveredAt(theirs)).toBeNull()
    expect(await tv.queued(['notification'])).toEqual([])

    // Taken once: a phone connecting later gets nothing again.
    const later = await join(user.token)
    expect(await later.queued(['notification'], 300)).toEqual([])
    await closeAll(tv, phone, later)
  })

  it('with no phone connected they stay pending; a new one reaches every connected phone', async () => {
    const user = await createTestUser()
    const device = await createTestDevice(user.id)
    const tv = await join(device.token)
    const waiting = await remind(user.id, 'electricity')
    expect(await deliverNotifications(env, [user.id])).toEqual({ delivered: 0 })
    expect(await deliveredAt(waiting)).toBeNull()

    const phone = await join(user.token)
    expect((await phone.next('notification')).notification.id).toBe(waiting)
    const otherPhone = await join(user.token)
    await expect.poll(() => deliveredAt(waiting)).not.toBeNull()

    const fresh = await remind(user.id, 'broadband')
    // Two triggers at once (the cron and a connect, say) deliver it once.
    const results = await Promise.all([
      deliverNotifications(env, [user.id]),
      deliverNotifications(env, [user.id]),
    ])
    // (The second phone's connect may be the one that takes it: at most one delivery in all.)
    expect(results.reduce((sum, r) => sum + r.delivered, 0)).toBeLessThanOrEqual(1)
    for (const p of [phone, otherPhone]) {
      expect((await p.next('notification')).notification.id).toBe(fresh)
      expect(await p.queued(['notification'])).toEqual([])
    }
    expect(await tv.queued(['notification'])).toEqual([])
    await closeAll(tv, phone, otherPhone)
  })

  it('the cron records a due bill and hands it to the connected phone at once', async () => {
    const { biller, secret } = await createBiller({ name: '杭州水务' })
    const number = accountNumber()
    const who = await member()
    await link(who.user.token, biller.id, number, '家里水费')
    const phone = await join(who.user.token)
    const now = Date.now()
    const billId = await feedBill(
      biller.id,
      secret,
      billLine(number, { due_date: chinaDate(now, 1) }),
    )

    const result = await billsMaintenance(env, now)
    expect(result.reminders).toBeGreaterThanOrEqual(1)
    expect(result.reminders_delivered).toBeGreaterThanOrEqual(1)
    const frame = await phone.next('notification', (f) => f.notification.data.bill_id === billId)
    expect(frame.notification.title).toContain('家里水费')
    const list = await call('GET', '/v1/me/notifications', { token: who.user.token })
    const item = list.body.items.find(
      (n: { data: { bill_id: string } }) => n.data.bill_id === billId,
    )
    expect(item.delivered_at).not.toBeNull()
    await closeAll(phone)
  })
})
