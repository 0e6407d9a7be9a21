import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { chinaDate } from '../../src/bills/dates'
import { call } from '../helpers/http'
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

function billsRail(body: any) {
  return body.rails.find((r: any) => r.id === 'bills-unpaid')
}

describe('/v1/home unpaid-bills rail', () => {
  it("shows a paired TV its household's unpaid bills, soonest due first, and nobody else's", async () => {
    const { biller, secret } = await createBiller()
    const number = accountNumber()
    const home = await member()
    const other = await member()
    await link(home.user.token, biller.id, number, '家里电费')
    const overdue = await feedBill(
      biller.id,
      secret,
      billLine(number, { due_date: chinaDate(Date.now(), -2) }),
    )
    const upcoming = await feedBill(
      biller.id,
      secret,
      billLine(number, { due_date: chinaDate(Date.now(), 5) }),
    )
    const paid = await feedBill(
      biller.id,
      secret,
      billLine(number, { due_date: chinaDate(Date.now(), 1) }),
    )
    await env.DB.prepare(
      "UPDATE bills SET status = 'paid', amount_paid = amount_due, paid_at = ? WHERE id = ?",
    )
      .bind(Date.now(), paid)
      .run()

    const res = await call('GET', '/v1/home', { token: home.tv.token })
    expect(res.status, res.text).toBe(200)
    const rail = billsRail(res.body)
    expect(rail).toMatchObject({ title: '待缴账单', kind: 'bills' })
    expect(rail.items.map((b: any) => [b.id, b.overdue])).toEqual([
      [overdue, true],
      [upcoming, false],
    ])
    expect(rail.items[0]).toMatchObject({
      nickname: '家里电费',
      account_number_masked: `****${number.slice(-4)}`,
      status: 'unpaid',
    })
    expect(res.text).not.toContain(number)
    expect(res.headers.get('cache-control') ?? '').not.toContain('public')

    expect(
      billsRail((await call('GET', '/v1/home', { token: other.tv.token })).body),
    ).toBeUndefined()
    expect(billsRail((await call('GET', '/v1/home')).body)).toBeUndefined()
    // The rail is for the TV; the phone pays from its own screens.
    expect(
      billsRail((await call('GET', '/v1/home', { token: home.user.token })).body),
    ).toBeUndefined()
  })
})
