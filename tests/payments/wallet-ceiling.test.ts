import { env } from 'cloudflare:test'
import { expect, it } from 'vitest'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { household } from './helpers'

// Its own file (own storage): the funding account ends near -2^53 here, past what the shared
// JS-summing ledger check can add exactly, so the balance is checked with SQLite's exact SUM.
it('a credit that would take the wallet past 2^53 - 1 is refused whole; the wallet stays readable', async () => {
  const { user } = await household()
  const url = `/v1/admin/wallets/${user.id}/credits`
  const credit = (amount: number) =>
    call('POST', url, {
      headers: ADMIN,
      body: { amount: { amount, currency: 'CNY' }, reason: 'x' },
    })
  expect((await credit(Number.MAX_SAFE_INTEGER - 10)).status).toBe(201)

  expectProblem(await credit(11), 409, 'conflict')
  const wallet = await call('GET', '/v1/me/wallet', { token: user.token })
  expect(wallet.status, wallet.text).toBe(200)
  expect(wallet.body.balance.amount).toBe(Number.MAX_SAFE_INTEGER - 10)
  const transfers = await env.DB.prepare('SELECT COUNT(*) AS n FROM ledger_transfers').first<{
    n: number
  }>()
  expect(transfers!.n).toBe(1)

  const exact = await credit(10)
  expect(exact.status).toBe(201)
  expect(exact.body.wallet.balance.amount).toBe(Number.MAX_SAFE_INTEGER)
  const sum = await env.DB.prepare('SELECT SUM(balance) AS s FROM ledger_accounts').first<{
    s: number
  }>()
  expect(sum!.s).toBe(0)
})
