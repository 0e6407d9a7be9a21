import { env } from 'cloudflare:test'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkLedgerProperty } from './ledger-model'

describe('ledger property', () => {
  it('random credits, payments, holds, captures, releases and refunds, some concurrent, keep every invariant', async () => {
    await checkLedgerProperty(
      {
        amount: fc.integer({ min: 1, max: 3000 }),
        credit: fc.integer({ min: 1, max: 6000 }),
        opening: 4000,
        fill: false,
        alipay: true,
      },
      40,
    )
    const alipay = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM payments WHERE method = 'alipay' AND refunded_amount > 0",
    ).first<{ n: number }>()
    expect(alipay?.n, 'no Alipay payment was refunded').toBeGreaterThan(0)
    const late = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM alipay_trades WHERE status = 'refunded'",
    ).first<{ n: number }>()
    expect(late?.n, 'no late Alipay money was refunded').toBeGreaterThan(0)
    // The run must have exercised every kind of movement, or it proved little.
    const { results } = await env.DB.prepare('SELECT DISTINCT kind FROM ledger_transfers').all<{
      kind: string
    }>()
    expect(results.map((r) => r.kind).sort()).toEqual([
      'capture',
      'credit',
      'hold',
      'refund',
      'release',
    ])
    // 40 runs of up to 15 steps each take ~30 s on a loaded 2-core machine.
  }, 300_000)
})
