import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { chinaDate } from '../../src/bills/dates'
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

describe('GET /v1/me/bills and /v1/bills/{id}', () => {
  it('lists unpaid bills soonest due first with overdue flags, paid ones latest due first', async () => {
    const { biller, secret } = await createBiller()
    const number = accountNumber()
    const { user, tv } = await member()
    await link(user.token, biller.id, number, '家里电费')
    const yesterday = chinaDate(Date.now(), -1)
    const today = chinaDate(Date.now())
    const late = await feedBill(
      biller.id,
      secret,
      billLine(number, { due_date: yesterday, period: '2026-03' }),
    )
    const dueToday = await feedBill(
      biller.id,
      secret,
      billLine(number, { due_date: today, period: '2026-04' }),
    )
    const later = await feedBill(
      biller.id,
      secret,
      billLine(number, { due_date: '2099-01-01', period: '2026-05' }),
    )
    const paidOld = await feedBill(biller.id, secret, billLine(number, { due_date: '2001-01-01' }))
    const paidNew = await feedBill(biller.id, secret, billLine(number, { due_date: '2002-01-01' }))
    await env.DB.prepare(
      "UPDATE bills SET status = 'paid', amount_paid = amount_due, paid_at = ? WHERE id IN (?, ?)",
    )
      .bind(Date.now(), paidOld, paidNew)
      .run()

    const unpaid = await call('GET', '/v1/me/bills?status=unpaid', { token: tv.token })
    expect(unpaid.status, unpaid.text).toBe(200)
    expect(unpaid.body.items.map((b: any) => [b.id, b.overdue])).toEqual([
      [late, true],
      [dueToday, false],
      [later, false],
    ])
    expect(unpaid.body.items[0]).toMatchObject({
      biller: { id: biller.id, name: biller.name, category: 'electricity' },
      account_number_masked: `****${number.slice(-4)}`,
      nickname: '家里电费',
      period: '2026-03',
      amount_due: { amount: 12850, currency: 'CNY' },
      amount_paid: { amount: 0, currency: 'CNY' },
      amount_remaining: { amount: 12850, currency: 'CNY' },
      due_date: yesterday,
      status: 'unpaid',
    })
    expect(unpaid.text).not.toContain(number)

    const paid = await call('GET', '/v1/me/bills?status=paid', { token: tv.token })
    expect(paid.body.items.map((b: any) => [b.id, b.overdue, b.status])).toEqual([
      [paidNew, false, 'paid'],
      [paidOld, false, 'paid'],
    ])
    const all = await call('GET', '/v1/me/bills', { token: user.token })
    expect(all.body.items).toHaveLength(5)
  })

  it('pages by keyset over (due_date, id)', async () => {
    const { biller, secret } = await createBiller()
    const number = accountNumber()
    const { user } = await member()
    await link(user.token, biller.id, number)
    const ids: string[] = []
    for (let i = 0; i < 7; i++)
      ids.push(
        await feedBill(
          biller.id,
          secret,
          billLine(number, { due_date: `2099-0${1 + (i % 3)}-01` }),
        ),
      )
    const seen: string[] = []
    let cursor = ''
    for (let page = 0; page < 5; page++) {
      const res = await call(
        'GET',
        `/v1/me/bills?status=unpaid&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        { token: user.token },
      )
      seen.push(...res.body.items.map((b: any) => b.id))
      if (!res.body.next_cursor) break
      cursor = res.body.next_cursor
    }
    expect(seen.sort()).toEqual([...ids].sort())
    expectProblem(
      await call('GET', '/v1/me/bills?cursor=eyJ4IjoxfQ', { token: user.token }),
      400,
      'invalid_cursor',
    )
    expectProblem(
      await call('GET', '/v1/me/bills?status=overdue', { token: user.token }),
      400,
      'validation_failed',
    )
  })

  it('another household can neither list nor read your bill (404, not 403)', async () => {
    const { biller, secret } = await createBiller()
    const number = accountNumber()
    const owner = await member()
    const other = await member()
    await link(owner.user.token, biller.id, number)
    const billId = await feedBill(biller.id, secret, billLine(number))
    const mine = await call('GET', `/v1/bills/${billId}`, { token: owner.tv.token })
    expect(mine.status).toBe(200)
    expect(mine.body.id).toBe(billId)
    expectProblem(
      await call('GET', `/v1/bills/${billId}`, { token: other.user.token }),
      404,
      'not_found',
    )
    expectProblem(
      await call('GET', `/v1/bills/${billId}`, { token: other.tv.token }),
      404,
      'not_found',
    )
    expectProblem(await call('GET', `/v1/bills/${billId}`), 401, 'unauthorized')
    const list = await call('GET', '/v1/me/bills', { token: other.user.token })
    expect(list.body.items).toEqual([])
  })
})
