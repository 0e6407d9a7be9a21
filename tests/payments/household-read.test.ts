import { describe, expect, it } from 'vitest'
import { call, expectProblem } from '../helpers/http'
import { createTestDevice } from '../helpers/principals'
import { household, orderFromTv } from './helpers'

// Finding 6 of issue 14: reading a payment is open to every paired TV of the paying user (a
// household TV may follow a payment another TV started); cancelling stays with the starting TV or
// the user. What each of them gets must be what /openapi.json documents for the operation.

let document: Promise<any> | undefined
async function documented(method: string, path: string): Promise<Record<string, any>> {
  document ??= call('GET', '/openapi.json').then((r) => r.body)
  const op = (await document).paths[path]?.[method]
  expect(op, `${method} ${path} in /openapi.json`).toBeTruthy()
  return op
}

async function expectDocumented(method: string, path: string, status: number) {
  const op = await documented(method, path)
  expect(
    Object.keys(op.responses),
    `${method.toUpperCase()} ${path} documents ${status}`,
  ).toContain(String(status))
}

describe('a payment read by a household TV that did not start it', () => {
  it('reads it; cannot cancel it; each answer is a documented one', async () => {
    const { user, tv } = await household({ balance: 5000 })
    const { payment } = await orderFromTv(tv.token)
    const secondTv = await createTestDevice(user.id, { name: 'Kitchen TV' })

    const read = await call('GET', `/v1/payments/${payment.id}`, { token: secondTv.token })
    expect(read.status, read.text).toBe(200)
    expect(read.body).toMatchObject({ id: payment.id, device_id: tv.id })
    await expectDocumented('get', '/v1/payments/{id}', 200)

    const cancel = await call('POST', `/v1/payments/${payment.id}/cancel`, {
      token: secondTv.token,
    })
    expectProblem(cancel, 404, 'not_found')
    await expectDocumented('post', '/v1/payments/{id}/cancel', 404)

    // The starting TV still cancels it, and the second TV sees the outcome.
    const byStarter = await call('POST', `/v1/payments/${payment.id}/cancel`, { token: tv.token })
    expect(byStarter.status, byStarter.text).toBe(200)
    const after = await call('GET', `/v1/payments/${payment.id}`, { token: secondTv.token })
    expect(after.body.status).toBe('canceled')
  })

  it('the document says who may read and who may cancel', async () => {
    const read = await documented('get', '/v1/payments/{id}')
    expect(`${read.summary} ${read.description ?? ''}`).toMatch(
      /any of (their|the user's) (paired )?(TVs|devices)/,
    )
    const cancel = await documented('post', '/v1/payments/{id}/cancel')
    expect(`${cancel.summary} ${cancel.description ?? ''}`).toMatch(/starting (TV|device)/)
    expect(cancel.responses['404'].description).toMatch(/did not start/)
  })

  it('a TV of another user gets 404, as for an unknown id', async () => {
    const { tv } = await household()
    const { payment } = await orderFromTv(tv.token)
    const stranger = await household()
    expectProblem(
      await call('GET', `/v1/payments/${payment.id}`, { token: stranger.tv.token }),
      404,
      'not_found',
    )
    expectProblem(
      await call('POST', `/v1/payments/${payment.id}/cancel`, { token: stranger.tv.token }),
      404,
      'not_found',
    )
    await expectDocumented('get', '/v1/payments/{id}', 404)
  })
})
