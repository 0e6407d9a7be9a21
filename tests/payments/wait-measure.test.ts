import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { notifyPaymentChanged } from '../../src/payments/waits'
import { call } from '../helpers/http'
import { confirm, household, orderFromTv } from './helpers'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Counts D1 statements prepared while `fn` runs (the binding's prototype is shared with the Worker). */
async function countQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const proto = Object.getPrototypeOf(env.DB) as { prepare: (...a: unknown[]) => unknown }
  const original = proto.prepare
  let queries = 0
  proto.prepare = function (this: unknown, ...args: unknown[]) {
    queries++
    return original.apply(this, args)
  }
  try {
    return { result: await fn(), queries }
  } finally {
    proto.prepare = original
  }
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

describe('?wait measurements (figures in docs/payments.md)', () => {
  it('a waiting TV costs a fixed number of D1 queries, however long it waits', async () => {
    const { tv } = await household()
    const { payment } = await orderFromTv(tv.token)
    const short = await countQueries(() =>
      call('GET', `/v1/payments/${payment.id}?wait=1`, { token: tv.token }),
    )
    const long = await countQueries(() =>
      call('GET', `/v1/payments/${payment.id}?wait=3`, { token: tv.token }),
    )
    const plain = await countQueries(() =>
      call('GET', `/v1/payments/${payment.id}`, { token: tv.token }),
    )
    console.log(
      JSON.stringify({
        measure: 'd1_queries',
        plain_get: plain.queries,
        wait_1s: short.queries,
        wait_3s: long.queries,
      }),
    )
    expect(long.queries).toBe(short.queries)
    expect(long.queries).toBeLessThanOrEqual(plain.queries + 1)
  })

  it('wakes within milliseconds of the commit', async () => {
    const { user, tv } = await household({ balance: 1_000_000 })
    const wake: number[] = []
    for (let i = 0; i < 15; i++) {
      const { payment } = await orderFromTv(tv.token)
      let woke = 0
      const waiting = call('GET', `/v1/payments/${payment.id}?wait=20`, { token: tv.token }).then(
        (r) => {
          woke = performance.now()
          return r
        },
      )
      await sleep(100)
      const res = await confirm(user.token, payment.id)
      const confirmed = performance.now()
      expect((await waiting).body.status).toBe('succeeded')
      expect(res.status).toBe(200)
      wake.push(Math.max(0, woke - confirmed))
    }
    wake.sort((a, b) => a - b)
    const notify: number[] = []
    for (let i = 0; i < 15; i++) {
      const started = performance.now()
      await notifyPaymentChanged(env, { id: `pay_measure_${i}`, userId: 'usr_measure' }, 2)
      notify.push(performance.now() - started)
    }
    notify.sort((a, b) => a - b)
    console.log(
      JSON.stringify({
        measure: 'wake_after_confirm_response_ms',
        p50: percentile(wake, 50),
        p90: percentile(wake, 90),
        max: wake[wake.length - 1],
        notify_rpc_p50_ms: percentile(notify, 50),
        notify_rpc_max_ms: notify[notify.length - 1],
      }),
    )
    expect(percentile(wake, 50)).toBeLessThan(250)
  })
})
