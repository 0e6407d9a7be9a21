// Other ways to pay, and the household's own troubles, as rounds of the fuzzer's money script
// (fuzz/money.ts): an order paid with Alipay through the local sandbox (a server speaking
// Alipay's protocol: RSA2-signed gateway answers and notifies), an order paid with a saved card
// (sometimes after a declined one), a bill paid in two parts, a household whose phone signs out
// and unpairs the TV, and a PIN locked by wrong guesses (a new person takes over).
import { ADDRESS } from '../fixtures/shipping-address'
import { type Answer, type Key, type MoneyRounds, PIN, type Random, sleep } from './money'

/** What the sandbox shows of a trade (GET /sandbox/trades/{out_trade_no}). */
type TradeView = { refunded_amount: string; notifies: { answer: string }[] }

/**
 * The TV shows the Alipay QR; the buyer scans it with "the Alipay app" and pays in the sandbox,
 * which sends its signed notify to the Worker (half the time; a quarter of the time twice, and a
 * quarter never: then the cron's alipay.trade.query finds the money); the TV sees the payment
 * succeed, the phone then gives the shipping address. Half the time an admin refunds 1 yuan at
 * once, through alipay.trade.refund: the sandbox's trade must show it.
 */
export async function alipayOrder(m: MoneyRounds, random: Random, key: Key) {
  const payment = await m.order(random, key)
  if (!payment) return
  const qr = await m.retrying('alipay: QR', () =>
    m.call('POST', '/v1/payments/{id}/alipay', { token: 'device', params: { id: payment.id } }),
  )
  // 200: the fuzzing asked for this payment's QR first (the same qr_code comes back).
  if (!m.expect('alipay: QR', qr, [201, 200])) return
  const sandbox = new URL(qr.body.qr_code).origin
  const draw = random()
  const notify = draw < 0.5 ? 'now' : draw < 0.75 ? 'twice' : 'none'
  const paid = await fetch(`${sandbox}/sandbox/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ qr_code: qr.body.qr_code, notify, delay_ms: 0 }),
  })
  const paidText = await paid.text()
  if (!paid.ok) {
    const a = { status: paid.status, body: null, text: paidText, request: 'POST /sandbox/pay' }
    return m.finding('alipay: buyer pays', 'the sandbox refused the payment', a)
  }
  if (notify === 'none') await m.household.tick()
  const after = await m.waitFor(payment.id, 'requires_confirmation')
  if (after.status === 200 && /canceled|expired/.test(after.body.status))
    // The fuzzing canceled it first: the money that came in goes back (the per-payment check
    // after the run holds the ledger to it).
    return m.count(`alipay: ${after.body.status} before the buyer paid (money refunded)`)
  if (after.status !== 200 || after.body.status !== 'succeeded')
    return after.status === 200
      ? m.finding('alipay: notify', `payment ${after.body.status} after the buyer paid`, after)
      : void m.expect('alipay: payment read', after, [200])
  m.count(notify === 'none' ? 'alipay: paid, found by the cron' : `alipay: paid, notify ${notify}`)
  m.paid.push({ id: payment.id, amount: payment.amount.amount })
  const trade = async () => {
    const res = await fetch(`${sandbox}/sandbox/trades/${qr.body.out_trade_no}`)
    const view = (await res.json().catch(() => null)) as TradeView | null
    return { status: res.status, body: view, text: JSON.stringify(view), request: 'GET trade' }
  }
  if (notify === 'twice') {
    // The repeat (sent 0.5 s after the first was answered) must be answered `success` too.
    let seen = await trade()
    for (let i = 0; i < 20 && (seen.body?.notifies.length ?? 0) < 2; i++) {
      await sleep(250)
      seen = await trade()
    }
    const answers = seen.body?.notifies.map((n) => n.answer) ?? []
    if (answers.length === 2 && answers.every((a) => a === 'success'))
      m.count('alipay: the repeated notify answered success')
    else m.finding('alipay: notify twice', `the notifies were answered ${answers.join(', ')}`, seen)
  }
  const order = await m.retrying('alipay: address', () =>
    m.call('PUT', '/v1/orders/{id}/shipping-address', {
      token: 'user',
      params: { id: payment.orderId },
      body: ADDRESS,
    }),
  )
  if (m.expect('alipay: address', order, [200]) && order.body.order?.status !== 'paid')
    m.finding('alipay: address', `order ${order.body.order?.status}`, order)
  if (random() < 0.5) {
    const refunded = await m.call('POST', '/v1/payments/{id}/refund', {
      token: 'admin',
      params: { id: payment.id },
      headers: { 'idempotency-key': key('alipay refund') },
      body: { amount: { amount: 100, currency: 'CNY' } },
    })
    if (!m.expect('alipay: refund part', refunded, [200])) return
    const seen = await trade()
    if (seen.body?.refunded_amount === '1.00') m.count('alipay: refunded at the sandbox')
    else
      m.finding('alipay: refund', `the sandbox's trade shows ${seen.body?.refunded_amount}`, seen)
  }
}

async function saveCard(m: MoneyRounds, token: string) {
  const saved = await m.retrying('card: save', () =>
    m.call('POST', '/v1/me/payment-methods', {
      token: 'user',
      body: { provider: 'sandbox', token },
    }),
  )
  return m.expect('card: save', saved, [201]) ? (saved.body.id as string) : null
}

/** The phone pays an order with a saved sandbox card; sometimes a declined card first. */
export async function cardOrder(m: MoneyRounds, random: Random, key: Key) {
  const payment = await m.order(random, key)
  if (!payment) return
  if (random() < 0.4) {
    const declinedCard = await saveCard(m, 'tok_declined')
    if (!declinedCard) return
    const declined = await m.retrying('card: declined', () =>
      m.call('POST', '/v1/payments/{id}/confirm', {
        token: 'user',
        params: { id: payment.id },
        headers: { 'idempotency-key': key('declined') },
        body: { payment_method: declinedCard, pin: PIN, shipping_address: ADDRESS },
      }),
    )
    // Declined: the payment stays confirmable, the person picks another method.
    if (m.expect('card: declined', declined, [402]) && declined.body?.code !== 'payment_declined')
      m.finding('card: declined', `402 ${declined.body?.code}`, declined)
  }
  const card = await saveCard(m, random() < 0.5 ? 'tok_visa' : 'tok_unionpay')
  if (!card) return
  const confirmed = await m.confirm('card: confirm', payment.id, ['succeeded'], random, key, {
    address: true,
    method: card,
  })
  if (confirmed) m.paid.push({ id: payment.id, amount: payment.amount.amount })
}

/**
 * A water bill (rules.amount partial) paid in two parts: more than is due is refused; a part
 * leaves it partially paid with the rest due; the rest settles it.
 */
export async function partialBill(m: MoneyRounds, n: number, random: Random, key: Key) {
  const due = 2000 + Math.floor(random() * 20_000)
  const bill = await m.feedBill(m.partialBillerId, `FUZZ-PART-${m.seed}-${n}`, due)
  if (!bill) return
  const pay = (step: string, amount?: number) =>
    m.retrying(step, () =>
      m.call('POST', '/v1/bills/{id}/pay', {
        token: 'device',
        params: { id: bill.id },
        headers: { 'idempotency-key': key(step) },
        body: amount === undefined ? {} : { amount: { amount, currency: 'CNY' } },
      }),
    )
  const over = await pay('part bill: more than due', due + 1)
  if (m.expect('part bill: more than due', over, [400]) && over.body?.code !== 'amount_not_allowed')
    m.finding('part bill: more than due', `400 ${over.body?.code}`, over)
  const part = 100 + Math.floor(random() * (due - 1000))
  const steps: { step: string; amount?: number; expected: number; status: string }[] = [
    { step: 'part bill: first part', amount: part, expected: part, status: 'partially_paid' },
    { step: 'part bill: the rest', expected: due - part, status: 'paid' },
  ]
  for (const s of steps) {
    const started = await pay(s.step, s.amount)
    if (!m.expect(s.step, started, [201, 200])) return
    // 200: a payment the fuzzing started on this bill is open (one per bill): its amount, not ours.
    if (started.status === 200) return m.count(`${s.step}: the fuzzing's payment open`)
    const payment = started.body.payment
    if (payment?.amount?.amount !== s.expected)
      return m.finding(
        s.step,
        `payment of ${payment?.amount?.amount}, expected ${s.expected}`,
        started,
      )
    const confirmed = await m.confirm(
      `${s.step}: confirm`,
      payment.id,
      ['succeeded'],
      random,
      key,
      {
        address: false,
      },
    )
    if (!confirmed) return
    m.paid.push({ id: payment.id, amount: s.expected })
    const read = await m.retrying('part bill: read', () =>
      m.call('GET', '/v1/bills/{id}', { token: 'device', params: { id: bill.id } }),
    )
    if (!m.expect('part bill: read', read, [200])) return
    const paidSoFar = s.amount === undefined ? due : part
    if (read.body.status !== s.status || read.body.amount_paid?.amount !== paidSoFar)
      m.finding(
        'part bill: read',
        `bill ${read.body.status}, ${read.body.amount_paid?.amount} paid; expected ${s.status}, ${paidSoFar}`,
        read,
      )
  }
}

/**
 * The phone unpairs the TV and signs out: both tokens must be refused at once; then an order
 * round, whose first request meets the 401 and logs in and pairs again (Household.keepAlive).
 */
export async function signOut(m: MoneyRounds, random: Random, key: Key) {
  const before = m.household.current()
  const devices = await m.call('GET', '/v1/me/devices', { token: 'user' })
  if (!m.expect('sign out: my TVs', devices, [200])) return
  for (const device of devices.body.items ?? []) {
    const unpaired = await m.call('DELETE', '/v1/me/devices/{id}', {
      token: 'user',
      params: { id: device.id },
    })
    m.expect('sign out: unpair', unpaired, [204])
  }
  const out = await m.call('POST', '/v1/auth/logout', {
    token: 'user',
    body: { refresh_token: before.refresh },
  })
  if (!m.expect('sign out: logout', out, [204])) return
  for (const who of ['user', 'device'] as const) {
    const me = await m.call('GET', '/v1/me', { token: who, bearer: before[who] })
    if (me.status !== 401) m.finding(`sign out: ${who} token`, `${me.status} after sign-out`, me)
    else m.count(`sign out: the ${who} token refused`)
  }
  await m.orderConfirm(random, key)
}

/**
 * Wrong PINs until the lock (423 by the fifth; the fuzzing's guesses may come first, and its
 * right PINs reset the count, so up to ten), the right PIN refused while locked, then a new
 * person takes over and pays an order.
 */
export async function pinLock(m: MoneyRounds, random: Random, key: Key) {
  const payment = await m.order(random, key)
  if (!payment) return
  const attempt = (pin: string) =>
    m.retrying('pin lock: attempt', () =>
      m.call('POST', '/v1/payments/{id}/confirm', {
        token: 'user',
        params: { id: payment.id },
        body: { payment_method: 'wallet', pin, shipping_address: ADDRESS },
      }),
    )
  let last: Answer | null = null
  for (let i = 0; i < 10 && last?.status !== 423; i++) {
    last = await attempt('000000')
    if (last.status !== 423 && !m.expect('pin lock: wrong PIN', last, [403])) return
  }
  if (last?.status !== 423) return m.finding('pin lock', 'ten wrong PINs did not lock', last!)
  m.count('pin lock: locked')
  const right = await attempt(PIN)
  if (right.status !== 423) m.finding('pin lock: right PIN', `${right.status} while locked`, right)
  await m.renew()
  await m.orderConfirm(random, (s) => key(`new person ${s}`))
}
