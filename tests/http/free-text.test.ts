import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, call } from '../helpers/http'
import { createBiller, member, useFeedKey } from '../bills/helpers'

beforeAll(useFeedKey)

// Luhn-valid 16 digits, with spaces, and 13 digits; a phone number and a plain number are not cards.
const CARDS = ['4242424242424242', '卡号 4242 4242 4242 4242', 'x4222222222222']

describe('free text never stores a card number (issue 14.4)', () => {
  it('a biller-account nickname holding one is 400 and nothing is linked', async () => {
    const { biller } = await createBiller({ pattern: '^\\d{10}$' })
    const { user } = await member()
    for (const nickname of CARDS) {
      const res = await call('POST', '/v1/me/biller-accounts', {
        token: user.token,
        body: { biller_id: biller.id, account_number: '3100567890', nickname },
      })
      expect(res.status, nickname).toBe(400)
      expect(res.text).not.toContain('4242424242424242')
    }
    const rows = await env.DB.prepare('SELECT nickname FROM biller_accounts WHERE nickname LIKE ?')
      .bind('%4242%')
      .all()
    expect(rows.results).toEqual([])
    const ok = await call('POST', '/v1/me/biller-accounts', {
      token: user.token,
      body: { biller_id: biller.id, account_number: '3100567890', nickname: '电费 13800138000' },
    })
    expect(ok.status, ok.text).toBe(201)
  })

  it('an admin credit reason (the ledger memo) holding one is 400 and no money moves', async () => {
    const { user } = await member()
    for (const reason of CARDS) {
      const res = await call('POST', `/v1/admin/wallets/${user.id}/credits`, {
        headers: ADMIN,
        body: { amount: { amount: 500, currency: 'CNY' }, reason },
      })
      expect(res.status, reason).toBe(400)
    }
    const wallet = await call('GET', '/v1/me/wallet', { token: user.token })
    expect(wallet.body.balance.amount).toBe(0)
    const ok = await call('POST', `/v1/admin/wallets/${user.id}/credits`, {
      headers: ADMIN,
      body: { amount: { amount: 500, currency: 'CNY' }, reason: 'refund for order 2026120512' },
    })
    expect(ok.status, ok.text).toBe(201)
  })

  it('a biller name holding one is 400', async () => {
    const res = await call('POST', '/v1/admin/billers', {
      headers: ADMIN,
      body: { name: 'Pay 4242424242424242', category: 'water', account_pattern: '^\\d{8}$' },
    })
    expect(res.status).toBe(400)
  })
})
