import type { sandboxOperations } from '../../db/schema/payments'
import type { RowOf } from '../../db/rows'
import type { CardDetails, PaymentProvider, ProviderOutcome, ProviderStatus } from './types'
import { ProviderTimeout } from './types'

/**
 * The test-mode gateway. It keeps its own book (sandbox_operations) keyed by our idempotency key,
 * like a real gateway does:
 * - tok_visa, tok_mastercard, tok_unionpay: succeed
 * - tok_declined: authorization declined
 * - tok_timeout: the first call with a given key is performed but its answer is lost (timeout);
 *   a retry with the same key returns the recorded result, so nothing is charged twice
 * - tok_capture_declined: authorizes, but the capture is declined
 * - tok_unreachable: every call times out before reaching the gateway (nothing recorded)
 * - tok_void_outage: authorizes, declines the capture, and its voids time out before reaching
 *   the gateway until the authorization is VOID_OUTAGE_MS old (the gateway down after it took
 *   the card: the void is owed, src/payments/compensations.ts)
 */
const CARDS: Record<string, CardDetails> = {
  tok_visa: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 },
  tok_mastercard: { brand: 'mastercard', last4: '4444', expMonth: 11, expYear: 2031 },
  tok_unionpay: { brand: 'unionpay', last4: '0005', expMonth: 6, expYear: 2032 },
  tok_declined: { brand: 'visa', last4: '0002', expMonth: 12, expYear: 2030 },
  tok_timeout: { brand: 'visa', last4: '1881', expMonth: 12, expYear: 2030 },
  tok_capture_declined: { brand: 'visa', last4: '9995', expMonth: 12, expYear: 2030 },
  tok_unreachable: { brand: 'visa', last4: '3220', expMonth: 12, expYear: 2030 },
  tok_void_outage: { brand: 'visa', last4: '0341', expMonth: 12, expYear: 2030 },
}

export const VOID_OUTAGE_MS = 10 * 60_000

const CAPTURE_DECLINED = new Set(['tok_capture_declined', 'tok_void_outage'])

type OpRow = Pick<
  RowOf<typeof sandboxOperations>,
  'op' | 'token' | 'amount' | 'ref' | 'outcome' | 'created_at'
>

type Op = OpRow['op']

type Outcome = OpRow['outcome']

export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox'
  constructor(private readonly d1: D1Database) {}

  async describe(token: string) {
    return CARDS[token] ?? null
  }

  async authorize(input: { token: string; amount: number; idempotencyKey: string }) {
    if (!CARDS[input.token]) return declined('unknown token')
    if (input.token === 'tok_unreachable') throw new ProviderTimeout('sandbox gateway unreachable')
    const outcome = input.token === 'tok_declined' ? 'declined' : 'ok'
    const ref = `sbx_${crypto.randomUUID()}`
    return this.record(input.idempotencyKey, 'authorize', input.token, input.amount, ref, outcome)
  }

  async capture(input: { ref: string; amount: number; idempotencyKey: string }) {
    const auth = await this.authorization(input.ref)
    if (!auth || input.amount > auth.amount) return declined('no authorization for that amount')
    const outcome = CAPTURE_DECLINED.has(auth.token) ? 'declined' : 'ok'
    const { idempotencyKey, amount, ref } = input
    return this.record(idempotencyKey, 'capture', auth.token, amount, ref, outcome)
  }

  async void(input: { ref: string; idempotencyKey: string }) {
    const auth = await this.authorization(input.ref)
    if (!auth) return declined('no such authorization')
    if (auth.token === 'tok_void_outage' && Date.now() - auth.created_at < VOID_OUTAGE_MS) {
      throw new ProviderTimeout('sandbox gateway unreachable for voids')
    }
    return this.record(input.idempotencyKey, 'void', auth.token, auth.amount, input.ref, 'ok')
  }

  async refund(input: { ref: string; amount: number; idempotencyKey: string }) {
    const auth = await this.authorization(input.ref)
    if (!auth) return declined('no such charge')
    return this.record(input.idempotencyKey, 'refund', auth.token, input.amount, input.ref, 'ok')
  }

  async status(ref: string): Promise<ProviderStatus> {
    const { results } = await this.d1
      .prepare('SELECT op, outcome FROM sandbox_operations WHERE ref = ? ORDER BY created_at')
      .bind(ref)
      .all<{ op: Op; outcome: string }>()
    const done = results.filter((r) => r.outcome === 'ok').map((r) => r.op)
    if (done.includes('refund')) return 'refunded'
    if (done.includes('void')) return 'voided'
    if (done.includes('capture')) return 'captured'
    if (done.includes('authorize')) return 'authorized'
    return results.length > 0 ? 'declined' : 'unknown'
  }

  private async authorization(ref: string) {
    return this.d1
      .prepare(
        `SELECT * FROM sandbox_operations WHERE ref = ? AND op = 'authorize' AND outcome = 'ok'`,
      )
      .bind(ref)
      .first<OpRow>()
  }

  private async record(
    key: string,
    op: Op,
    token: string,
    amount: number,
    ref: string,
    outcome: Outcome,
  ) {
    const inserted = await this.d1
      .prepare(
        `INSERT INTO sandbox_operations
           (idempotency_key, op, token, amount, ref, outcome, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`,
      )
      .bind(key, op, token, amount, ref, outcome, Date.now())
      .run()
    const row = await this.d1
      .prepare('SELECT * FROM sandbox_operations WHERE idempotency_key = ?')
      .bind(key)
      .first<OpRow>()
    if (!row) throw new Error('sandbox lost an operation')
    if (row.op !== op || row.token !== token || row.amount !== amount) {
      throw new Error(`sandbox idempotency key ${key} reused with different parameters`)
    }
    // First attempt with tok_timeout: the gateway did the work, the answer never arrived.
    if (inserted.meta.changes === 1 && token === 'tok_timeout' && op === 'authorize') {
      throw new ProviderTimeout(`sandbox ${op} timed out`)
    }
    if (row.outcome !== 'ok') return declined(`sandbox ${op} declined`)
    return { ok: true, ref: row.ref } as const
  }
}

function declined(message: string): ProviderOutcome {
  return { ok: false, reason: 'declined', message }
}
