import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { call } from '../helpers/http'
import { expectLedgerBalanced, transfersOf } from '../helpers/ledger'
import { confirm, household, orderFromTv, stockOf } from './helpers'

describe('order from the TV, confirm on the phone', () => {
  it('reserves stock, takes the wallet money, marks the order paid and signs a receipt', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { productId, order, payment } = await orderFromTv(tv.token, { price: 2500, quantity: 2 })
    expect(order.status).toBe('pending_payment')
    expect(order.total).toEqual({ amount: 5000, currency: 'CNY' })
    expect(payment).toMatchObject({
      status: 'requires_confirmation',
      amount: { amount: 5000 },
      purpose: { type: 'order', id: order.id },
    })
    expect(await stockOf(productId)).toBe(8)

    const res = await confirm(user.token, payment.id)
    expect(res.status, res.text).toBe(200)
    expect(res.body.payment.status).toBe('succeeded')
    expect(res.body.receipt.split('.')).toHaveLength(3)

    const wallet = await call('GET', '/v1/me/wallet', { token: user.token })
    expect(wallet.body).toEqual({
      balance: { amount: 5000, currency: 'CNY' },
      held: { amount: 0, currency: 'CNY' },
    })
    const read = await call('GET', `/v1/orders/${order.id}`, { token: tv.token })
    expect(read.body.order.status).toBe('paid')
    expect(read.body.order.shipping_address.city).toBe('杭州市')
    expect((await transfersOf(env.DB, payment.id)).map((t) => t.kind).sort()).toEqual([
      'capture',
      'hold',
    ])
    await expectLedgerBalanced(env.DB)
  })
})
