// Scripted money moves inside a fuzz run (fuzz/run.ts): random draws seldom line up a real
// payment id, the user's token, the PIN and a valid body, so every ~100 fuzzed requests one
// "money round" moves money through the real API, the way a TV and a phone do: an order
// confirmed with the wallet (sometimes after a wrong PIN), an admin refund, a deal join held and
// captured, a hold canceled, a household bill paid, a payment canceled or left open. The round's
// kind comes from the seed and the round's number, not from timing, so a seed replays the same
// rounds. Every answer is checked against /openapi.json like a fuzzed one (run.ts's `call`); a
// status the script did not expect is a finding unless it is a documented refusal the concurrent
// fuzzing can cause (it logs out, unpairs, cancels, refunds, edits deals and guesses PINs).
import { createHmac } from 'node:crypto'
import { ADDRESS } from '../fixtures/shipping-address'

export type Answer = { status: number; body: any; text: string; request: string }
export type Who = 'user' | 'device' | 'admin' | 'none'
export type CallOptions = {
  token: Who
  params?: Record<string, string>
  query?: Record<string, string>
  body?: unknown
  headers?: Record<string, string>
  raw?: string
}
/** Sends one request of the document's operation `METHOD /template`, checked like the fuzzed ones. */
export type Call = (method: string, template: string, options: CallOptions) => Promise<Answer>

export type Household = {
  /** Logs in or pairs again when a token died (the fuzzer logs out and unpairs as it goes). */
  keepAlive(): Promise<void>
  /** A new person, PIN and TV, when the fuzzing locked this one's PIN for 15 minutes. */
  renew(): Promise<void>
}

/** The kinds a round is drawn from; paying and refunding twice as often as the rest. */
export const ROUND_KINDS = [
  'order_confirm',
  'order_confirm',
  'refund',
  'refund',
  'deal_capture',
  'deal_capture',
  'deal_hold',
  'bill',
  'open_or_cancel',
] as const
type RoundKind = (typeof ROUND_KINDS)[number]

/** Refusals the concurrent fuzzing can cause: documented, so not findings (counted, though). */
const RACE_REFUSALS = new Set([
  '402 insufficient_funds',
  '404 not_found',
  '409 payment_not_confirmable',
  '409 payment_expired',
  '409 invalid_transition',
  '409 refund_exceeds_amount',
  '409 deal_not_active',
  '409 sold_out',
  '409 limit_exceeded',
  '409 out_of_stock',
  '409 bill_already_paid',
  '409 idempotency_in_progress',
  '423 pin_locked',
  '429 rate_limited',
])

const PIN = '482913'
const ACCOUNT_NUMBER = '3100567890'

/** mulberry32: a round's own random numbers, from the seed and its number only. */
function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type MoneyFinding = { step: string; detail: string; example: string }

export class MoneyRounds {
  readonly rounds = new Map<RoundKind, number>()
  readonly outcomes = new Map<string, number>()
  readonly findings: MoneyFinding[] = []
  /** Payments this script saw succeed: what the refund rounds refund. */
  private paid: { id: string; amount: number }[] = []
  private productId = ''
  private captureDealId = ''
  private holdDealId = ''
  private billerId = ''
  private feedSecret = ''

  constructor(
    private readonly call: Call,
    private readonly household: Household,
    private readonly seed: number,
    private readonly onIds: (value: unknown) => void,
  ) {}

  /** A category, three products, a deal that tips at once and one that never does, a biller. */
  async setUp() {
    const tag = `${this.seed}`.replace(/\D/g, '').slice(-8)
    const must = async (step: string, p: Promise<Answer>) => {
      const a = await p
      if (a.status >= 300) throw new Error(`money setup, ${step}: ${a.status} ${a.text}`)
      this.onIds(a.body)
      return a.body
    }
    await must(
      'category',
      this.call('POST', '/v1/admin/categories', {
        token: 'admin',
        body: { categories: [{ slug: `fuzz-money-${tag}`, name: '模糊测试' }] },
      }),
    )
    const product = (sku: string, amount: number) => ({
      sku: `FUZZ-${sku}-${tag}`,
      title: `模糊测试 ${sku}`,
      brand: 'tvpay',
      price: { amount, currency: 'CNY' },
      category_slug: `fuzz-money-${tag}`,
      stock: 100_000,
    })
    const products = await must(
      'products',
      this.call('POST', '/v1/admin/products', {
        token: 'admin',
        body: {
          products: [product('ORDER', 1999), product('DEAL-TIP', 2999), product('DEAL-HOLD', 3999)],
        },
      }),
    )
    const [order, tip, hold] = products.items.map((i: { id: string }) => i.id)
    this.productId = order
    const deal = (productId: string, minGroupSize: number) => ({
      product_id: productId,
      deal_price: { amount: 999, currency: 'CNY' },
      starts_at: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
      ends_at: new Date(Date.now() + 3 * 3600_000).toISOString(),
      min_group_size: minGroupSize,
      stock: 100_000,
      max_per_user: 100_000,
    })
    // Tips at its first confirmation: every later one is captured as it confirms.
    this.captureDealId = (
      await must(
        'deal',
        this.call('POST', '/v1/admin/deals', { token: 'admin', body: deal(tip, 1) }),
      )
    ).id
    // Never tips within a run: its holds stay held until canceled.
    this.holdDealId = (
      await must(
        'deal',
        this.call('POST', '/v1/admin/deals', { token: 'admin', body: deal(hold, 100_000) }),
      )
    ).id
    const biller = await must(
      'biller',
      this.call('POST', '/v1/admin/billers', {
        token: 'admin',
        body: { name: `模糊电力 ${tag}`, category: 'electricity', account_pattern: '^\\d{10}$' },
      }),
    )
    this.billerId = biller.biller.id
    this.feedSecret = biller.feed_secret
    await this.linkAccount()
  }

  private async linkAccount() {
    const linked = await this.call('POST', '/v1/me/biller-accounts', {
      token: 'user',
      body: { biller_id: this.billerId, account_number: ACCOUNT_NUMBER, nickname: '家里电费' },
    })
    this.expect('link account', linked, [201, 200, 409])
  }

  /** Round `n`: its kind and every choice in it drawn from (seed, n). */
  async round(n: number) {
    const random = prng((this.seed * 2654435761) ^ (n * 40503))
    const kind = ROUND_KINDS[Math.floor(random() * ROUND_KINDS.length)]!
    this.rounds.set(kind, (this.rounds.get(kind) ?? 0) + 1)
    const key = (step: string) => `fuzz-money-${this.seed}-${n}-${step.replace(/\W+/g, '-')}`
    await this.household.keepAlive()
    switch (kind) {
      case 'order_confirm':
        return this.orderConfirm(random, key)
      case 'refund':
        return this.refund(random, key)
      case 'deal_capture':
        return this.dealJoin(this.captureDealId, 'capture', random, key)
      case 'deal_hold':
        return this.dealJoin(this.holdDealId, 'hold', random, key)
      case 'bill':
        return this.bill(n, random, key)
      case 'open_or_cancel':
        return this.openOrCancel(random, key)
    }
  }

  private async order(random: () => number, key: (s: string) => string) {
    const quantity = 1 + Math.floor(random() * 3)
    const created = await this.retrying('order', () =>
      this.call('POST', '/v1/orders', {
        token: 'device',
        headers: { 'idempotency-key': key('order') },
        body: { items: [{ product_id: this.productId, quantity }] },
      }),
    )
    if (!this.expect('order', created, [201])) return null
    const payment = created.body.payment
    if (payment?.status !== 'requires_confirmation' || payment.amount?.amount !== 1999 * quantity)
      this.finding(
        'order',
        `payment ${payment?.status} ${JSON.stringify(payment?.amount)}`,
        created,
      )
    return payment as { id: string; amount: { amount: number } }
  }

  private async confirm(
    step: string,
    paymentId: string,
    expected: string[],
    random: () => number,
    key: (s: string) => string,
    address: boolean,
  ) {
    const body = (pin: string) => ({
      payment_method: 'wallet',
      pin,
      ...(address ? { shipping_address: ADDRESS } : {}),
    })
    if (random() < 0.3) {
      // A wrong PIN first: refused, and the right one afterwards resets the count.
      const wrong = await this.retrying(`${step}: wrong PIN`, () =>
        this.call('POST', '/v1/payments/{id}/confirm', {
          token: 'user',
          params: { id: paymentId },
          body: body('000000'),
        }),
      )
      if (wrong.status === 200) this.finding(`${step}: wrong PIN`, 'a wrong PIN confirmed', wrong)
      else this.expect(`${step}: wrong PIN`, wrong, [403])
      if (wrong.status === 423) {
        // Locked for 15 minutes by the fuzzing's guesses and ours: the rounds go on with a new person.
        await this.household.renew()
        return null
      }
    }
    const confirmed = await this.retrying(step, () =>
      this.call('POST', '/v1/payments/{id}/confirm', {
        token: 'user',
        params: { id: paymentId },
        headers: { 'idempotency-key': key(step) },
        body: body(PIN),
      }),
    )
    if (confirmed.status === 423) await this.household.renew()
    if (!this.expect(step, confirmed, [200])) return null
    const payment = confirmed.body.payment
    if (!expected.includes(payment?.status) || typeof confirmed.body.receipt !== 'string')
      this.finding(
        step,
        `confirmed to ${payment?.status}, expected ${expected.join('|')}`,
        confirmed,
      )
    return payment as { id: string; status: string; amount: { amount: number } }
  }

  private async orderConfirm(random: () => number, key: (s: string) => string) {
    const payment = await this.order(random, key)
    if (!payment) return
    const confirmed = await this.confirm(
      'order confirm',
      payment.id,
      ['succeeded'],
      random,
      key,
      true,
    )
    if (!confirmed) return
    this.paid.push({ id: payment.id, amount: payment.amount.amount })
    const order = await this.call('GET', '/v1/payments/{id}', {
      token: 'device',
      params: { id: payment.id },
    })
    // The fuzzer's admin token may refund it meanwhile; never back to an unpaid state, though.
    if (order.status === 200 && !/succeeded|refunded/.test(order.body.status))
      this.finding('order paid', `read back as ${order.body.status}`, order)
  }

  private async refund(random: () => number, key: (s: string) => string) {
    if (this.paid.length === 0) return this.orderConfirm(random, key)
    const target = this.paid[Math.floor(random() * this.paid.length)]!
    const partial = random() < 0.5 && target.amount > 100
    const refunded = await this.call('POST', '/v1/payments/{id}/refund', {
      token: 'admin',
      params: { id: target.id },
      headers: { 'idempotency-key': key('refund') },
      body: partial ? { amount: { amount: 100, currency: 'CNY' } } : {},
    })
    if (!this.expect(partial ? 'refund part' : 'refund all', refunded, [200])) {
      if (refunded.status === 409) this.paid = this.paid.filter((p) => p !== target)
      return
    }
    const status = refunded.body.status
    if (!partial || status === 'refunded') this.paid = this.paid.filter((p) => p !== target)
    const ok = partial ? /refunded$/.test(status) : status === 'refunded'
    if (!ok) this.finding('refund', `refunded to ${status}`, refunded)
  }

  private async dealJoin(
    dealId: string,
    goal: 'capture' | 'hold',
    random: () => number,
    key: (s: string) => string,
  ) {
    const joined = await this.retrying(`deal join (${goal})`, () =>
      this.call('POST', '/v1/deals/{id}/join', {
        token: 'device',
        params: { id: dealId },
        headers: { 'idempotency-key': key('join') },
        body: { quantity: 1 },
      }),
    )
    if (!this.expect(`deal join (${goal})`, joined, [201])) return
    const paymentId = joined.body.payment?.id as string
    // A deal that has tipped may capture in the confirming request's wake or in it.
    const expected = goal === 'capture' ? ['requires_capture', 'succeeded'] : ['requires_capture']
    const held = await this.confirm(
      `deal confirm (${goal})`,
      paymentId,
      expected,
      random,
      key,
      true,
    )
    if (!held) return
    if (goal === 'capture') {
      // The settlement queue captures it within a second or so; the TV waits without polling.
      const after = await this.call('GET', '/v1/payments/{id}', {
        token: 'device',
        params: { id: paymentId },
        query: { wait: '10', seen_status: 'requires_capture' },
      })
      if (after.status === 200 && /succeeded|refunded/.test(after.body.status))
        this.paid.push({ id: paymentId, amount: held.amount.amount })
      else this.count(`deal capture: still ${after.body?.status ?? after.status} after 10 s`)
      return
    }
    if (random() < 0.6) {
      const canceled = await this.retrying('deal hold cancel', () =>
        this.call('POST', '/v1/payments/{id}/cancel', {
          token: random() < 0.5 ? 'device' : 'user',
          params: { id: paymentId },
        }),
      )
      if (this.expect('deal hold cancel', canceled, [200]) && canceled.body.status !== 'canceled')
        this.finding('deal hold cancel', `canceled to ${canceled.body.status}`, canceled)
    }
  }

  private async bill(n: number, random: () => number, key: (s: string) => string) {
    const ref = `FUZZ-${this.seed}-${n}`
    const due = new Date(Date.now() + 8 * 3600_000 + 86_400_000).toISOString().slice(0, 10)
    const amount = 1000 + Math.floor(random() * 20_000)
    const raw = JSON.stringify({
      bills: [
        {
          account_number: ACCOUNT_NUMBER,
          bill_ref: ref,
          period: due.slice(0, 7),
          amount_due: { amount, currency: 'CNY' },
          due_date: due,
        },
      ],
    })
    const t = Math.floor(Date.now() / 1000)
    const v1 = createHmac('sha256', this.feedSecret).update(`${t}.${raw}`).digest('hex')
    const fed = await this.call('POST', '/v1/biller-feed/bills', {
      token: 'none',
      headers: { 'x-biller-id': this.billerId, 'x-signature': `t=${t},v1=${v1}` },
      raw,
    })
    if (!this.expect('bill feed', fed, [200])) return
    if (fed.body.upserted !== 1) return this.finding('bill feed', 'not upserted', fed)
    const list = await this.retrying('bill lookup', () =>
      this.call('GET', '/v1/me/bills', {
        token: 'device',
        query: { status: 'unpaid', limit: '50' },
      }),
    )
    if (!this.expect('bill lookup', list, [200])) return
    let bill = list.body.items?.find((b: { bill_ref?: string }) => b.bill_ref === ref)
    if (!bill) {
      // The fuzzer may have unlinked the account (DELETE /v1/me/biller-accounts/{id}).
      await this.linkAccount()
      const again = await this.call('GET', '/v1/me/bills', {
        token: 'user',
        query: { status: 'unpaid', limit: '50' },
      })
      bill = again.body?.items?.find((b: { bill_ref?: string }) => b.bill_ref === ref)
      if (!bill) return this.count('bill lookup: not listed (account unlinked)')
    }
    const started = await this.retrying('bill pay', () =>
      this.call('POST', '/v1/bills/{id}/pay', {
        token: 'device',
        params: { id: bill.id },
        headers: { 'idempotency-key': key('bill') },
      }),
    )
    if (!this.expect('bill pay', started, [201, 200])) return
    const payment = started.body.payment
    if (payment?.amount?.amount !== amount)
      this.finding('bill pay', `amount ${JSON.stringify(payment?.amount)}, due ${amount}`, started)
    const confirmed = await this.confirm(
      'bill confirm',
      payment.id,
      ['succeeded'],
      random,
      key,
      false,
    )
    if (confirmed) this.paid.push({ id: payment.id, amount })
  }

  private async openOrCancel(random: () => number, key: (s: string) => string) {
    const payment = await this.order(random, key)
    if (!payment || random() < 0.4) return // left open: expires after PAYMENT_TTL_SECONDS
    const canceled = await this.retrying('cancel', () =>
      this.call('POST', '/v1/payments/{id}/cancel', {
        token: random() < 0.5 ? 'device' : 'user',
        params: { id: payment.id },
      }),
    )
    if (this.expect('cancel', canceled, [200]) && canceled.body.status !== 'canceled')
      this.finding('cancel', `canceled to ${canceled.body.status}`, canceled)
  }

  /** Once more after a 401: the fuzzing logged the user out or unpaired the TV meanwhile. */
  private async retrying(step: string, send: () => Promise<Answer>) {
    const first = await send()
    if (first.status !== 401) return first
    this.count(`${step}: 401, logged in or paired again`)
    await this.household.keepAlive()
    return send()
  }

  /** True when the status is one the script wanted; a documented race refusal is only counted. */
  private expect(step: string, a: Answer, wanted: number[]) {
    this.onIds(a.body)
    if (wanted.includes(a.status)) {
      this.count(`${step}: ${a.status}`)
      return true
    }
    const refusal = `${a.status} ${a.body?.code ?? ''}`
    if (RACE_REFUSALS.has(refusal) || a.status === 401) this.count(`${step}: ${refusal}`)
    else this.finding(step, `${refusal.trim()}, expected ${wanted.join('|')}`, a)
    return false
  }

  private count(outcome: string) {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1)
  }

  private finding(step: string, detail: string, a: Answer) {
    this.count(`${step}: FINDING`)
    this.findings.push({
      step,
      detail,
      example: `${a.request} → ${a.status} ${a.text.slice(0, 240)}`,
    })
  }
}
