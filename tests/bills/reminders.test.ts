import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { chinaDate } from '../../src/bills/dates'
import {
  markDelivered,
  recordBillReminders,
  undeliveredNotifications,
  yuan,
} from '../../src/bills/reminders'
import { runScheduled } from '../../src/cron'
import { call, expectProblem } from '../helpers/http'
import {
  accountNumber,
  billLine,
  createBiller,
  feedBill,
  link,
  member,
  useFeedKey,
} from './helpers'

beforeAll(useFeedKey)

async function remindersFor(userId: string) {
  const { results } = await env.DB.prepare(
    "SELECT subject_id FROM notifications WHERE user_id = ? AND kind = 'bill_due' ORDER BY subject_id",
  )
    .bind(userId)
    .all<{ subject_id: string }>()
  return results.map((r) => r.subject_id)
}

describe('bill reminders', () => {
  it('records one reminder per household member for bills due within 3 days, once', async () => {
    const { biller, secret } = await createBiller({ name: '上海燃气' })
    const number = accountNumber()
    const mum = await member()
    const dad = await member()
    const neighbour = await member()
    await link(mum.user.token, biller.id, number, '家里燃气')
    await link(dad.user.token, biller.id, number)
    const now = Date.now()
    const dueToday = await feedBill(
      biller.id,
      secret,
      billLine(number, { due_date: chinaDate(now), amount_due: { amount: 4567, currency: 'CNY' } }),
    )
    const dueIn3 = await feedBill(
      biller.id,
      secret,
      billLine(number, { due_date: chinaDate(now, 3) }),
    )
    await feedBill(biller.id, secret, billLine(number, { due_date: chinaDate(now, 4) }))
    await feedBill(biller.id, secret, billLine(number, { due_date: chinaDate(now, -1) }))
    const paid = await feedBill(
      biller.id,
      secret,
      billLine(number, { due_date: chinaDate(now, 1) }),
    )
    await env.DB.prepare(
      "UPDATE bills SET status = 'paid', amount_paid = amount_due, paid_at = ? WHERE id = ?",
    )
      .bind(now, paid)
      .run()

    const first = await recordBillReminders(env, now)
    expect(first.recorded).toBeGreaterThanOrEqual(4)
    expect(await remindersFor(mum.user.id)).toEqual([dueToday, dueIn3].sort())
    expect(await remindersFor(dad.user.id)).toEqual([dueToday, dueIn3].sort())
    expect(await remindersFor(neighbour.user.id)).toEqual([])

    // The cron runs every minute: nothing is recorded twice, also through the scheduled handler.
    await recordBillReminders(env, now + 60_000)
    const results = await runScheduled(env, now + 120_000)
    expect(results['bills.maintenance']).toMatchObject({ reminders: 0 })
    expect(await remindersFor(mum.user.id)).toEqual([dueToday, dueIn3].sort())

    // Concurrent runs cannot double either: the unique key decides.
    await Promise.all([recordBillReminders(env, now), recordBillReminders(env, now)])
    expect(await remindersFor(dad.user.id)).toEqual([dueToday, dueIn3].sort())

    const list = await call('GET', '/v1/me/notifications', { token: mum.tv.token })
    expect(list.status, list.text).toBe(200)
    const todays = list.body.items.find((n: any) => n.data.bill_id === dueToday)
    expect(todays).toMatchObject({
      kind: 'bill_due',
      title: `家里燃气：账单将于 ${chinaDate(now)} 到期`,
      data: {
        bill_id: dueToday,
        amount_remaining: { amount: 4567, currency: 'CNY' },
        due_date: chinaDate(now),
      },
      delivered_at: null,
    })
    expect(todays.body).toContain('¥45.67')
    const dads = await call('GET', '/v1/me/notifications', { token: dad.user.token })
    expect(dads.body.items[0].title).toContain('上海燃气')
    const none = await call('GET', '/v1/me/notifications', { token: neighbour.user.token })
    expect(none.body.items).toEqual([])
  })

  it('a notifier drains the outbox: undelivered oldest first, delivered once', async () => {
    const { biller, secret } = await createBiller()
    const number = accountNumber()
    const who = await member()
    await link(who.user.token, biller.id, number)
    const now = Date.now()
    await feedBill(biller.id, secret, billLine(number, { due_date: chinaDate(now, 2) }))
    await recordBillReminders(env, now)
    const pending = (await undeliveredNotifications(env.DB, 500)).filter(
      (n) => n.user_id === who.user.id,
    )
    expect(pending).toHaveLength(1)
    expect(await markDelivered(env.DB, [pending[0].id], now + 5)).toBe(1)
    expect(await markDelivered(env.DB, [pending[0].id], now + 10)).toBe(0)
    const list = await call('GET', '/v1/me/notifications', { token: who.user.token })
    expect(Date.parse(list.body.items[0].delivered_at)).toBe(Math.floor((now + 5) / 1000) * 1000)
    expect((await undeliveredNotifications(env.DB, 500)).some((n) => n.id === pending[0].id)).toBe(
      false,
    )
  })

  it('pages notifications newest first and needs a token', async () => {
    expectProblem(await call('GET', '/v1/me/notifications'), 401, 'unauthorized')
    const { biller, secret } = await createBiller()
    const number = accountNumber()
    const who = await member()
    await link(who.user.token, biller.id, number)
    const now = Date.now()
    for (let i = 0; i < 3; i++)
      await feedBill(biller.id, secret, billLine(number, { due_date: chinaDate(now, i) }))
    await recordBillReminders(env, now)
    const p1 = await call('GET', '/v1/me/notifications?limit=2', { token: who.user.token })
    const p2 = await call('GET', `/v1/me/notifications?limit=2&cursor=${p1.body.next_cursor}`, {
      token: who.user.token,
    })
    expect(p1.body.items).toHaveLength(2)
    expect(p2.body.items).toHaveLength(1)
    expect(p2.body.next_cursor).toBeNull()
  })

  it('formats fen as yuan without floats', () => {
    expect(yuan(12850)).toBe('128.50')
    expect(yuan(5)).toBe('0.05')
    expect(yuan(100)).toBe('1.00')
  })
})
