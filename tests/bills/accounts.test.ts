import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAX_LINKED_ACCOUNTS } from '../../src/bills/accounts'
import { call, expectProblem } from '../helpers/http'
import { createTestUser } from '../helpers/principals'
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

describe('household biller accounts', () => {
  it('links a number from the TV with a nickname and only ever shows it masked', async () => {
    const { biller } = await createBiller({ pattern: '^\\d{10}$' })
    const { user, tv } = await member()
    const res = await call('POST', '/v1/me/biller-accounts', {
      token: tv.token,
      body: { biller_id: biller.id, account_number: '3100567890', nickname: '家里电费' },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      biller: { id: biller.id, name: biller.name, category: 'electricity' },
      account_number_masked: '****7890',
      nickname: '家里电费',
    })
    expect(res.text).not.toContain('3100567890')

    const list = await call('GET', '/v1/me/biller-accounts', { token: user.token })
    expect(list.status).toBe(200)
    expect(list.body.items).toEqual([res.body])
    expect(list.text).not.toContain('3100567890')
  })

  it('400 invalid_account_number when the number fails the pattern; nothing stored', async () => {
    const { biller } = await createBiller({ pattern: '^(?:SH|BJ)\\d{8}$' })
    const { user } = await member()
    for (const number of ['SH1234567', 'GZ12345678', 'SH12345678X', 'sh12345678', ' ']) {
      const res = await call('POST', '/v1/me/biller-accounts', {
        token: user.token,
        body: { biller_id: biller.id, account_number: number },
      })
      expect([400]).toContain(res.status)
      expect(['invalid_account_number', 'validation_failed']).toContain(res.body.code)
    }
    const bad = await call('POST', '/v1/me/biller-accounts', {
      token: user.token,
      body: { biller_id: biller.id, account_number: 'GZ12345678' },
    })
    expectProblem(bad, 400, 'invalid_account_number')
    const ok = await call('POST', '/v1/me/biller-accounts', {
      token: user.token,
      body: { biller_id: biller.id, account_number: 'BJ12345678' },
    })
    expect(ok.status).toBe(201)
    expect(ok.body.account_number_masked).toBe('****5678')
    const count = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM biller_accounts WHERE user_id = ?',
    )
      .bind(user.id)
      .first<{ n: number }>()
    expect(count!.n).toBe(1)
  })

  it('400 unknown_biller; 409 when the same person links the same number twice', async () => {
    const { biller } = await createBiller()
    const { user } = await member()
    const unknown = await call('POST', '/v1/me/biller-accounts', {
      token: user.token,
      body: { biller_id: 'blr_nope', account_number: '1234567890' },
    })
    expectProblem(unknown, 400, 'unknown_biller')
    await link(user.token, biller.id, '1234567890')
    const again = await call('POST', '/v1/me/biller-accounts', {
      token: user.token,
      body: { biller_id: biller.id, account_number: '1234567890' },
    })
    expectProblem(again, 409, 'account_already_linked')
  })

  it('lets several household members link one number and each sees its bills', async () => {
    const { biller, secret } = await createBiller()
    const number = accountNumber()
    const mum = await member()
    const dad = await member()
    const stranger = await member()
    await link(mum.user.token, biller.id, number, '家里电费')
    await link(dad.tv.token, biller.id, number)
    const billId = await feedBill(biller.id, secret, billLine(number))

    const mums = await call('GET', '/v1/me/bills', { token: mum.tv.token })
    expect(mums.body.items.map((b: any) => b.id)).toEqual([billId])
    expect(mums.body.items[0].nickname).toBe('家里电费')
    const dads = await call('GET', '/v1/me/bills', { token: dad.user.token })
    expect(dads.body.items.map((b: any) => b.id)).toEqual([billId])
    expect(dads.body.items[0].nickname).toBeNull()
    const strangers = await call('GET', '/v1/me/bills', { token: stranger.user.token })
    expect(strangers.body.items).toEqual([])
  })

  it("unlinking removes only that person's link; another person cannot delete it", async () => {
    const { biller } = await createBiller()
    const number = accountNumber()
    const a = await member()
    const b = await member()
    const aLink = await link(a.user.token, biller.id, number)
    const bLink = await link(b.user.token, biller.id, number)
    expectProblem(
      await call('DELETE', `/v1/me/biller-accounts/${aLink.id}`, { token: b.user.token }),
      404,
      'not_found',
    )
    const res = await call('DELETE', `/v1/me/biller-accounts/${aLink.id}`, { token: a.tv.token })
    expect(res.status).toBe(204)
    expectProblem(
      await call('DELETE', `/v1/me/biller-accounts/${aLink.id}`, { token: a.user.token }),
      404,
      'not_found',
    )
    const left = await call('GET', '/v1/me/biller-accounts', { token: b.user.token })
    expect(left.body.items.map((x: any) => x.id)).toEqual([bLink.id])
  })

  it(`caps a person at ${MAX_LINKED_ACCOUNTS} linked accounts`, async () => {
    const { biller } = await createBiller({ pattern: '^\\d{4}$' })
    const { user } = await member()
    for (let i = 0; i < MAX_LINKED_ACCOUNTS; i++)
      await link(user.token, biller.id, String(1000 + i))
    const over = await call('POST', '/v1/me/biller-accounts', {
      token: user.token,
      body: { biller_id: biller.id, account_number: '9999' },
    })
    expectProblem(over, 409, 'limit_exceeded')
    const page1 = await call('GET', '/v1/me/biller-accounts?limit=30', { token: user.token })
    const page2 = await call(
      'GET',
      `/v1/me/biller-accounts?limit=30&cursor=${page1.body.next_cursor}`,
      { token: user.token },
    )
    expect(page1.body.items).toHaveLength(30)
    expect(page2.body.items).toHaveLength(20)
    expect(page2.body.next_cursor).toBeNull()
    // Short numbers keep most of themselves hidden.
    expect(page1.body.items[0].account_number_masked).toBe('****00')
  })

  it('needs a token', async () => {
    expectProblem(await call('GET', '/v1/me/biller-accounts'), 401, 'unauthorized')
    expectProblem(await call('POST', '/v1/me/biller-accounts', { body: {} }), 401, 'unauthorized')
    const user = await createTestUser()
    expectProblem(
      await call('POST', '/v1/me/biller-accounts', { token: user.token, body: { biller_id: 'x' } }),
      400,
      'validation_failed',
    )
  })
})
