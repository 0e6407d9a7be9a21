// Scripted money moves inside a fuzz run (fuzz/run.ts): random draws seldom line up a real
// payment id, the user's token, the PIN and a valid body, so every ~100 fuzzed requests one
// "money round" moves money through the real API, the way a TV and a phone do: an order
// confirmed with the wallet (sometimes after a wrong PIN), an admin refund, a deal join held and
// captured, a hold canceled, a household bill paid, a payment canceled or left open; and the
// rounds of fuzz/money-deals.ts (a deal that fails at its end, teams that fill or expire) and
// fuzz/money-ways.ts (Alipay through the local sandbox, saved cards, part payments of a bill, a
// household signed out, a PIN locked). The round's kind comes from the seed and the round's
// number, not from timing, so a seed replays the same rounds; the first rounds of a run play each
// kind once, so even a short run meets every kind. Every answer is checked against /openapi.json like a fuzzed one (run.ts's `call`); a
// status the script did not expect is a finding unless it is a documented refusal the concurrent
// fuzzing can cause (it logs out, unpairs, cancels, refunds, edits deals and guesses PINs).
import { createHmac } from 'node:crypto'
import { ADDRESS } from '../fixtures/shipping-address'
import {
  checkExpiredTeams,
  dealBody,
  type ExpiringTeam,
  failedDeal,
  teamExpire,
  teamFill,
} from './money-deals'
import { alipayOrder, cardOrder, partialBill, pinLock, signOut } from './money-ways'

export type Answer = { status: number; body: any; text: string; request: string }
export type Who = 'user' | 'device' | 'admin' | 'none'
export type CallOptions = {
  token: Who
  /** Another person's access token in place of the household's (`token` then names its kind). */
  bearer?: string
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
  /** The current person's tokens, as they are now (another keepAlive may replace them). */
  current(): { user: string; device: string; refresh: string }
  /** A second person (PIN set, wallet credited) for teams: their user access token. */
  neighbour(): Promise<string>
  /** Runs the cron once (`GET /__scheduled`), as it runs every minute when deployed. */
  tick(): Promise<void>
  /** Whether a fuzzed request canceled this payment (200 from its cancel). */
  canceledByFuzzing(paymentId: string): boolean
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
  'deal_fail',
  'team_fill',
  'team_expire',
  'bill_partial',
  'alipay',
  'card',
  'sign_out',
  'pin_lock',
] as const
export type RoundKind = (typeof ROUND_KINDS)[number]
const EACH_KIND = [...new Set(ROUND_KINDS)]

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
  '409 team_full',
  '409 team_closed',
  '409 bill_payment_in_progress',
  '409 bill_changed',
  '423 pin_locked',
  '429 rate_limited',
])

export const PIN = '482913'
const ACCOUNT_NUMBER = '3100567890'

/** mulberry32: a round's own random numbers, from the seed and its number only. */
export function prng(seed: number) {
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
export type Random = () => number
export type Key = (step: string) => string
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class MoneyRounds {
  readonly rounds = new Map<RoundKind, number>()
  readonly outcomes = new Map<string, number>()
  readonly findings: MoneyFinding[] = []
  /** Payments this script saw succeed: what the refund rounds refund. */
  paid: { id: string; amount: number }[] = []
  productId = ''
  /** The product the deals of fuzz/money-deals.ts sell (list price 3999). */
  dealProductId = ''
  private captureDealId = ''
  private holdDealId = ''
  teamDealId = ''
  billerId = ''
  partialBillerId = ''
  feedSecrets = new Map<string, string>()
  /** Team places left to expire, checked once their window has passed (fuzz/money-deals.ts). */
  readonly expiring: ExpiringTeam[] = []

  constructor(
    readonly call: Call,
    readonly household: Household,
    readonly seed: number,
    readonly onIds: (value: unknown) => void,
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
    this.dealProductId = hold
    const deal = (productId: string, minGroupSize: number) =>
      dealBody(productId, { min_group_size: minGroupSize })
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
    // Teams of two with ten minutes to fill: the team rounds fill them at once.
    this.teamDealId = (
      await must(
        'team deal',
        this.call('POST', '/v1/admin/deals', {
          token: 'admin',
          body: dealBody(tip, { mode: 'team', team_size: 2, team_window_seconds: 600 }),
        }),
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
    this.feedSecrets.set(this.billerId, biller.feed_secret)
    // A water company that takes any part of what is due (rules.amount partial).
    const partial = await must(
      'partial biller',
      this.call('POST', '/v1/admin/billers', {
        token: 'admin',
        body: {
          name: `模糊水务 ${tag}`,
          category: 'water',
          account_pattern: '^\\d{10}$',
          rules: { amount: 'partial' },
        },
      }),
    )
    this.partialBillerId = partial.biller.id
    this.feedSecrets.set(this.partialBillerId, partial.feed_secret)
    await this.linkAccount(this.billerId)
    await this.linkAccount(this.partialBillerId)
  }

  async linkAccount(billerId: string) {
    const linked = await this.call('POST', '/v1/me/biller-accounts', {
      token: 'user',
      body: { biller_id: billerId, account_number: ACCOUNT_NUMBER, nickname: '家里的账' },
    })
    this.expect('link account', linked, [201, 200, 409])
  }

  /** The kind of round `n`: each kind once in a seeded order first, then drawn by weight. */
  kindOf(n: number, random: Random): RoundKind {
    if (n < EACH_KIND.length) {
      const order = [...EACH_KIND]
      const shuffle = prng(this.seed ^ 0x5bd1e995)
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(shuffle() * (i + 1))
        ;[order[i], order[j]] = [order[j]!, order[i]!]
      }
      return order[n]!
    }
    return ROUND_KINDS[Math.floor(random() * ROUND_KINDS.length)]!
  }

  /** Round `n`: its kind and every choice in it drawn from (seed, n). */
  async round(n: number) {
    const random = prng((this.seed * 2654435761) ^ (n * 40503))
    const kind = this.kindOf(n, random)
    this.rounds.set(kind, (this.rounds.get(kind) ?? 0) + 1)
    const key = (step: string) => `fuzz-money-${this.seed}-${n}-${step.replace(/\W+/g, '-')}`
    await this.household.keepAlive()
    await checkExpiredTeams(this, false)
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
      case 'deal_fail':
        return failedDeal(this, random, key)
      case 'team_fill':
        return teamFill(this, random, key)
      case 'team_expire':
        return teamExpire(this, random, key)
      case 'bill_partial':
        return partialBill(this, n, random, key)
      case 'alipay':
        return alipayOrder(this, random, key)
      case 'card':
        return cardOrder(this, random, key)
      case 'sign_out':
        return signOut(this, random, key)
      case 'pin_lock':
        return pinLock(this, random, key)
    }
  }

  /** After the last round, before the Worker stops: the team places not yet seen expiring. */
  async finish() {
    await checkExpiredTeams(this, true)
  }

  async order(random: Random, key: Key) {
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
    return { ...payment, orderId: created.body.order?.id } as {
      id: string
      orderId: string
      amount: { amount: number }
    }
  }

  /**
   * The phone confirms with the PIN (the household's, sometimes after a wrong PIN, or another
   * person's with `bearer`), by wallet or a saved card (`method`).
   */
  async confirm(
    step: string,
    paymentId: string,
    expected: string[],
    random: Random,
    key: Key,
    options: { address: boolean; bearer?: string; method?: string },
  ) {
    const { bearer } = options
    const body = (pin: string) => ({
      payment_method: options.method ?? 'wallet',
      pin,
      ...(options.address ? { shipping_address: ADDRESS } : {}),
    })
    if (!bearer && random() < 0.3) {
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
        await this.renew()
        return null
      }
    }
    const confirmed = await this.retrying(step, () =>
      this.call('POST', '/v1/payments/{id}/confirm', {
        token: 'user',
        bearer,
        params: { id: paymentId },
        headers: { 'idempotency-key': key(step) },
        body: body(PIN),
      }),
    )
    if (confirmed.status === 423 && !bearer) await this.renew()
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

  /** A new person, PIN and TV take over; their bills' accounts are linked when a round needs them. */
  async renew() {
    this.count('new person (PIN locked)')
    await this.household.renew()
  }

  /**
   * The payment once it has left `seen` (the TV's long poll, `?wait=10`, twice at most: the
   * settlement queue moves a deal's money in the cron's or the confirmation's wake).
   */
  async waitFor(paymentId: string, seen: string, bearer?: string) {
    let read: Answer | null = null
    for (let i = 0; i < 2; i++) {
      read = await this.retrying('payment read', () =>
        this.call('GET', '/v1/payments/{id}', {
          token: bearer ? 'user' : 'device',
          bearer,
          params: { id: paymentId },
          query: { wait: '10', seen_status: seen },
        }),
      )
      if (read.status !== 200 || read.body.status !== seen) break
    }
    return read!
  }

  async orderConfirm(random: Random, key: Key) {
    const payment = await this.order(random, key)
    if (!payment) return
    const confirmed = await this.confirm('order confirm', payment.id, ['succeeded'], random, key, {
      address: true,
    })
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

  private async refund(random: Random, key: Key) {
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

  private async dealJoin(dealId: string, goal: 'capture' | 'hold', random: Random, key: Key) {
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
    const held = await this.confirm(`deal confirm (${goal})`, paymentId, expected, random, key, {
      address: true,
    })
    if (!held) return
    if (goal === 'capture') {
      // The settlement queue captures it within a second or so; the TV waits without polling.
      const after = await this.waitFor(paymentId, 'requires_capture')
      const status = after.body?.status ?? after.status
      if (after.status === 200 && /succeeded|refunded/.test(status))
        this.paid.push({ id: paymentId, amount: held.amount.amount })
      // A tipped deal's confirmed place is only ever captured, unless someone cancels it first.
      else if (status === 'canceled' && this.household.canceledByFuzzing(paymentId))
        this.count('deal capture: canceled by the fuzzing first')
      else if (status === 'canceled')
        this.finding('deal capture', 'a confirmed place on a tipped deal released', after)
      else this.count(`deal capture: still ${status} after 20 s`)
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

  private async bill(n: number, random: Random, key: Key) {
    const ref = `FUZZ-${this.seed}-${n}`
    const amount = 1000 + Math.floor(random() * 20_000)
    const bill = await this.feedBill(this.billerId, ref, amount)
    if (!bill) return
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
    const confirmed = await this.confirm('bill confirm', payment.id, ['succeeded'], random, key, {
      address: false,
    })
    if (confirmed) this.paid.push({ id: payment.id, amount })
  }

  /** The biller's signed feed sends a bill for the household's account; the TV finds it. */
  async feedBill(billerId: string, ref: string, amount: number) {
    const due = new Date(Date.now() + 8 * 3600_000 + 86_400_000).toISOString().slice(0, 10)
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
    const secret = this.feedSecrets.get(billerId)!
    const v1 = createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex')
    const fed = await this.call('POST', '/v1/biller-feed/bills', {
      token: 'none',
      headers: { 'x-biller-id': billerId, 'x-signature': `t=${t},v1=${v1}` },
      raw,
    })
    if (!this.expect('bill feed', fed, [200])) return null
    if (fed.body.upserted !== 1) {
      this.finding('bill feed', 'not upserted', fed)
      return null
    }
    const find = async (token: 'device' | 'user') => {
      const list = await this.retrying('bill lookup', () =>
        this.call('GET', '/v1/me/bills', { token, query: { status: 'unpaid', limit: '50' } }),
      )
      if (!this.expect('bill lookup', list, [200])) return undefined
      return list.body.items?.find((b: { bill_ref?: string }) => b.bill_ref === ref) as
        | { id: string }
        | undefined
    }
    const bill = await find('device')
    if (bill) return bill
    // The fuzzer may have unlinked the account (DELETE /v1/me/biller-accounts/{id}), or a new
    // person took over who has not linked it yet.
    await this.linkAccount(billerId)
    const again = await find('user')
    if (!again) this.count('bill lookup: not listed (account unlinked)')
    return again ?? null
  }

  private async openOrCancel(random: Random, key: Key) {
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
  async retrying(step: string, send: () => Promise<Answer>) {
    const first = await send()
    if (first.status !== 401) return first
    this.count(`${step}: 401, logged in or paired again`)
    await this.household.keepAlive()
    return send()
  }

  /** True when the status is one the script wanted; a documented race refusal is only counted. */
  expect(step: string, a: Answer, wanted: number[]) {
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

  count(outcome: string) {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1)
  }

  finding(step: string, detail: string, a: Answer) {
    this.count(`${step}: FINDING`)
    this.findings.push({
      step,
      detail,
      example: `${a.request} → ${a.status} ${a.text.slice(0, 240)}`,
    })
  }
}
