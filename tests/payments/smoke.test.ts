import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { getPaymentView, newPaymentStatements } from '../../src/payments/intents'
import { registerPurpose } from '../../src/payments/purposes'
import { createTestDevice, createTestUser } from '../helpers/principals'

registerPurpose('deal', { onTransition: async () => [] })

describe('newPaymentStatements + getPaymentView', () => {
  it('creates a confirmable payment with the contract shape', async () => {
    const user = await createTestUser()
    const device = await createTestDevice(user.id)
    const now = Date.now()
    const { paymentId, statements } = newPaymentStatements(env, {
      purpose: { type: 'deal', id: 'part_smoke1' },
      userId: user.id,
      startedBy: { kind: 'device', userId: user.id, deviceId: device.id, clientId: device.clientId },
      amount: 1999,
      capture: 'manual',
      payee: { kind: 'merchant' },
      now,
    })
    await env.DB.batch(statements)
    const view = await getPaymentView(env, paymentId, now)
    expect(view).toMatchObject({
      id: paymentId,
      status: 'requires_confirmation',
      amount: { amount: 1999, currency: 'CNY' },
      purpose: { type: 'deal', id: 'part_smoke1' },
      capture: 'manual',
    })
    expect(view.receipt).toBeUndefined()
    expect(Date.parse(view.expires_at) - Date.parse(view.created_at)).toBeGreaterThanOrEqual(599_000)
  })
})
