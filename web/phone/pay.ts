import './phone.css'
import { ApiProblem, idempotencyKey } from '../shared/api'
import { h, replace } from '../shared/dom'
import { countdown, yuan } from '../shared/format'
import type { Words } from '../shared/messages'
import type { Bill, Device, List, Order, Payment } from '../shared/types'
import {
  type Me,
  app,
  busy,
  deadEnd,
  field,
  guard,
  input,
  notice,
  page,
  phone,
  pinSetupForm,
  signIn,
} from './common'
import {
  awaitsConfirmation,
  householdChannel,
  openRequestedPayments,
  payPath,
  pushedPayment,
} from './follow'

// confirmation.url: /pay/{payment_id}?code=…  The phone says what is paid, from which TV, how, and
// where to ship; the PIN confirms it. The TV learns of it by itself (?wait or the channel).
// With the household channel this page also hears its payment end elsewhere (canceled on the TV,
// expired) and, once its own payment is settled, opens the next one a TV starts (follow.ts).

type Method = { id: string; brand: string; last4: string }
type Wallet = { balance: { amount: number; currency: string } }

const paymentId = decodeURIComponent(location.pathname.split('/')[2] ?? '')
const codeInLink = new URLSearchParams(location.search).get('code')
const ADDRESS_KEY = 'tvpay.address'

/**
 * `confirming` while the form for this payment is up, `addressing` while a paid order asks where it
 * goes: nothing may navigate away from either.
 */
let state: 'loading' | 'confirming' | 'addressing' | 'settled' = 'loading'
/** Bumped by every outcome page, so an outcome drawn after an await never covers a newer one. */
let outcomes = 0
let follow: HTMLElement | null = null

const PURPOSE: Record<Payment['purpose']['type'], string> = {
  order: '商品订单 Order',
  deal: '拼团 Group-buy deal',
  bill: '生活缴费 Bill',
}

function start() {
  if (!/^pay_[0-9a-z]+$/.test(paymentId)) {
    return deadEnd('链接无效 Bad link', {
      zh: '这个付款链接不完整。请重新扫描电视上的二维码。',
      en: 'This payment link is incomplete. Scan the QR code on the TV again.',
    })
  }
  if (!phone.signedIn)
    return signIn('请登录绑定了这台电视的账号 Sign in with the account this TV is paired to', start)
  listen()
  guard(load)
}

function listen() {
  if (follow) return
  follow = openRequestedPayments(
    (p) => p.id !== paymentId && state !== 'confirming' && state !== 'addressing',
  )
  const ch = householdChannel()
  ch?.on('payment.updated', (msg) => {
    const p = pushedPayment(msg)
    if (!p || p.id !== paymentId || state !== 'confirming') return
    const ended = endedWords(p)
    if (!ended) return
    state = 'settled'
    void showEnded(p, ended)
  })
  // While this payment waits for the PIN, a newer one from a TV is offered, not opened.
  ch?.on('payment.requested', (msg) => {
    const p = pushedPayment(msg)
    if (!p || p.id === paymentId || !awaitsConfirmation(p)) return
    if (state !== 'confirming' && state !== 'addressing') return
    document.getElementById('newer')?.remove()
    app.prepend(
      h(
        'a',
        { class: 'notice info newer', id: 'newer', attrs: { href: payPath(p) } },
        h('strong', { text: `电视上发起了一笔新的付款 ${yuan(p.amount)}，点此打开` }),
        h('span', { class: 'en', text: 'A TV started a new payment: open it' }),
      ),
    )
  })
}

/** A page for a payment that needs nothing more from this phone. */
function settled(title: string, words: Words, ...extra: Node[]) {
  state = 'settled'
  deadEnd(title, words, ...extra, ...(follow ? [follow] : []))
}

/** The payment is paid (here or elsewhere): good news, not an error; maybe an address to give. */
function alreadyPaid(title: string, words: Words, address: HTMLElement | null) {
  state = address ? 'addressing' : 'settled'
  page(title, null, notice('ok', words), ...(address ? [address] : []), ...(follow ? [follow] : []))
}

/**
 * How an ended payment is shown: paid ones with the address form an Alipay order may need. The
 * phone's own confirm answering meanwhile (its "paid" page) wins over this one.
 */
async function showEnded(p: Payment, ended: { title: string; words: Words }) {
  const at = ++outcomes
  if (p.status === 'succeeded' || p.status === 'requires_capture') {
    const address = await addressForm(p)
    if (at === outcomes) alreadyPaid(ended.title, ended.words, address)
    return
  }
  settled(ended.title, ended.words)
}

/**
 * An order paid without this phone (Alipay on the TV) has no shipping address yet: the phone that
 * shows it paid asks where it goes (PUT /v1/orders/{id}/shipping-address). Null otherwise.
 */
async function addressForm(p: Payment): Promise<HTMLElement | null> {
  if (p.status !== 'succeeded' || p.purpose.type !== 'order') return null
  const orderId = p.purpose.id
  try {
    const { order } = await phone.call<{ order: Order }>(`/v1/orders/${orderId}`)
    if (order.status !== 'paid' || order.shipping_address) return null
  } catch {
    return null
  }
  const address = addressFields()
  const box = h('div', { class: 'messages', id: 'address-messages' })
  const form: HTMLFormElement = h(
    'form',
    {
      attrs: { id: 'address-form' },
      on: {
        submit: (e) => {
          e.preventDefault()
          const shipping = address.read()
          void busy(form, box, async () => {
            await phone.call(`/v1/orders/${orderId}/shipping-address`, {
              method: 'PUT',
              body: shipping,
            })
            localStorage.setItem(ADDRESS_KEY, JSON.stringify(shipping))
            state = 'settled'
            replace(
              form,
              notice('ok', {
                zh: '收货地址已保存，订单会寄到这里。',
                en: 'Address saved: the order ships there.',
              }),
            )
          })
        },
      },
    },
    notice('info', {
      zh: '这笔订单已在电视上付款（支付宝），请填写收货地址。',
      en: 'This order was paid on the TV (Alipay): where should it go?',
    }),
    address.el,
    box,
    h(
      'div',
      { class: 'actions' },
      h('button', {
        class: 'primary',
        attrs: { type: 'submit', id: 'save-address' },
        text: '保存收货地址 Save address',
      }),
    ),
  )
  return form
}

async function load() {
  let payment: Payment
  try {
    payment = await phone.call<Payment>(`/v1/payments/${paymentId}`)
  } catch (err) {
    if (err instanceof ApiProblem && err.status === 404) {
      return settled(
        '找不到这笔付款 Payment not found',
        {
          zh: '这笔付款不属于当前登录的账号，或链接有误。请用绑定了这台电视的账号登录。',
          en: 'This payment belongs to another account, or the link is wrong. Sign in with the account the TV is paired to.',
        },
        signOutButton(),
      )
    }
    throw err
  }
  if (codeInLink && codeInLink.toUpperCase() !== payment.confirmation.code) {
    return settled('确认码不符 Code does not match', {
      zh: '链接里的确认码和这笔付款不一致，为安全起见不能确认。请重新扫描电视上的二维码。',
      en: 'The code in the link does not match this payment. Scan the QR code on the TV again.',
    })
  }
  const ended = endedWords(payment)
  if (ended) return showEnded(payment, ended)

  const [me, wallet, methods, devices, what] = await Promise.all([
    phone.call<Me>('/v1/me'),
    phone.call<Wallet>('/v1/me/wallet'),
    phone.call<List<Method>>('/v1/me/payment-methods'),
    phone.call<List<Device>>('/v1/me/devices?limit=50'),
    describe(payment),
  ])
  const tv = payment.device_id ? devices.items.find((d) => d.id === payment.device_id) : null
  const summary = h(
    'section',
    { class: 'card', attrs: { 'aria-label': '付款内容 What is paid' } },
    h('p', { class: 'sub', text: PURPOSE[payment.purpose.type] }),
    h('p', { class: 'amount', id: 'amount', text: yuan(payment.amount) }),
    h(
      'dl',
      { class: 'facts' },
      ...what,
      h('dt', { text: '发起设备 From' }),
      h('dd', {
        id: 'from-tv',
        text: tv
          ? tv.name
          : payment.device_id
            ? '已解除绑定的电视 An unpaired TV'
            : '本手机 This phone',
      }),
      h('dt', { text: '确认码 Code' }),
      h('dd', { text: payment.confirmation.code }),
      h('dt', { text: '剩余时间 Time left' }),
      h('dd', { text: countdown(payment.expires_at) }),
    ),
    payment.capture === 'manual'
      ? h('p', {
          class: 'sub',
          text: '拼团成功才扣款，失败全额退回 Held until the deal succeeds; released in full if it fails',
        })
      : null,
  )
  state = 'confirming'
  if (!me.has_payment_pin) {
    page(
      '确认付款 Confirm payment',
      null,
      summary,
      pinSetupForm(() => guard(load)),
    )
    return
  }
  page(
    '确认付款 Confirm payment',
    '请核对金额和电视 Check the amount and the TV',
    summary,
    confirmForm(payment, wallet, methods.items),
  )
}

function endedWords(p: Payment): { title: string; words: Words } | null {
  if (p.status === 'succeeded' || p.status === 'requires_capture')
    return {
      title: '已付款 Already paid',
      words: {
        zh: `这笔 ${yuan(p.amount)} 的付款已经确认，无需再付。`,
        en: 'This payment is already confirmed.',
      },
    }
  if (
    p.status === 'expired' ||
    (p.status === 'requires_confirmation' && Date.parse(p.expires_at) <= Date.now())
  )
    return {
      title: '付款已过期 Payment expired',
      words: {
        zh: '这笔付款已过期，没有扣款。请在电视上重新下单。',
        en: 'This payment expired; nothing was charged. Start again on the TV.',
      },
    }
  if (p.status === 'canceled')
    return {
      title: '付款已取消 Payment canceled',
      words: {
        zh: '这笔付款已取消，没有扣款。',
        en: 'This payment was canceled; nothing was charged.',
      },
    }
  if (p.status !== 'requires_confirmation')
    return {
      title: '付款已结束 Payment ended',
      words: { zh: '这笔付款已结束。', en: `This payment has ended (${p.status}).` },
    }
  return null
}

/** What the money is for, as definition-list rows. */
async function describe(p: Payment): Promise<Node[]> {
  try {
    if (p.purpose.type === 'order') {
      const { order } = await phone.call<{ order: Order }>(`/v1/orders/${p.purpose.id}`)
      return [
        h('dt', { text: '商品 Items' }),
        h(
          'dd',
          { id: 'items' },
          ...order.items.map((i) => h('div', { text: `${i.title} × ${i.quantity}` })),
        ),
      ]
    }
    if (p.purpose.type === 'bill') {
      const bill = await phone.call<Bill>(`/v1/bills/${p.purpose.id}`)
      return [
        h('dt', { text: '账单 Bill' }),
        h('dd', { text: `${bill.biller.name} · ${bill.account_number_masked} · ${bill.period}` }),
      ]
    }
  } catch {
    // The description is a courtesy; the amount and the code above are what the PIN confirms.
  }
  return []
}

function confirmForm(payment: Payment, wallet: Wallet, methods: Method[]): HTMLElement {
  const choices = [
    { id: 'wallet', title: '钱包余额 Wallet', note: `可用 Available ${yuan(wallet.balance)}` },
    ...methods.map((m) => ({
      id: m.id,
      title: `${m.brand.toUpperCase()} •••• ${m.last4}`,
      note: '银行卡 Card',
    })),
  ]
  const methodList = h(
    'fieldset',
    { class: 'methods card' },
    h('legend', { text: '付款方式 Pay with' }),
    ...choices.map((c, i) =>
      h(
        'label',
        {},
        h('input', { attrs: { type: 'radio', name: 'method', value: c.id, checked: i === 0 } }),
        h(
          'span',
          { class: 'method-text' },
          h('strong', { text: c.title }),
          h('small', { text: c.note }),
        ),
      ),
    ),
  )
  const address = payment.purpose.type === 'order' ? addressFields() : null
  const pin = input('pin', {
    class: 'pin-input',
    type: 'password',
    inputmode: 'numeric',
    pattern: '\\d{6}',
    maxlength: '6',
    autocomplete: 'off',
    required: true,
  })
  const box = h('div', { class: 'messages', id: 'messages' })
  const submit = h('button', {
    class: 'primary',
    attrs: { type: 'submit', id: 'confirm' },
    text: `确认付款 Pay ${yuan(payment.amount)}`,
  })
  const form: HTMLFormElement = h(
    'form',
    {
      on: {
        submit: (e) => {
          e.preventDefault()
          const method = (form.querySelector('input[name=method]:checked') as HTMLInputElement)
            .value
          const shipping = address?.read()
          void busy(
            form,
            box,
            async () => {
              const answer = await phone.call<{ payment: Payment }>(
                `/v1/payments/${payment.id}/confirm`,
                {
                  method: 'POST',
                  idempotencyKey: idempotencyKey(),
                  body: {
                    payment_method: method,
                    pin: pin.value,
                    ...(shipping ? { shipping_address: shipping } : {}),
                  },
                },
              )
              if (shipping) localStorage.setItem(ADDRESS_KEY, JSON.stringify(shipping))
              paid(answer.payment)
            },
            (err) => explain(err, submit),
          ).finally(() => {
            pin.value = ''
            if (submit.dataset.locked) submit.disabled = true
          })
        },
      },
    },
    methodList,
    address?.el ?? null,
    h(
      'div',
      { class: 'card' },
      field('支付密码 Payment PIN', pin, '6 位数字 6 digits'),
      box,
      h('div', { class: 'actions' }, submit),
    ),
  )
  return form
}

function explain(err: unknown, submit: HTMLButtonElement): Words | null {
  if (!(err instanceof ApiProblem)) return null
  if (err.code === 'invalid_pin') {
    const left = Number(err.body.attempts_remaining)
    return {
      zh: `支付密码不对，还可以再试 ${left} 次。`,
      en: `Wrong PIN: ${left} ${left === 1 ? 'attempt' : 'attempts'} left.`,
    }
  }
  if (err.code === 'pin_locked') {
    submit.dataset.locked = '1'
    const until = typeof err.body.locked_until === 'string' ? new Date(err.body.locked_until) : null
    const at = until
      ? until.toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit' })
      : ''
    return {
      zh: `支付密码错误次数太多，付款已锁定 15 分钟${at ? `（${at} 后可再试）` : ''}。`,
      en: `Too many wrong PINs: payments are locked for 15 minutes${at ? ` (until ${at})` : ''}.`,
    }
  }
  if (err.code === 'insufficient_funds')
    return {
      zh: '余额不足。请换一张银行卡，或充值后再试。',
      en: 'Not enough balance. Choose a card, or top up and retry.',
    }
  if (err.code === 'payment_expired') {
    submit.dataset.locked = '1'
    return {
      zh: '这笔付款已过期，没有扣款。请在电视上重新下单。',
      en: 'This payment expired; nothing was charged. Start again on the TV.',
    }
  }
  return null
}

function addressFields() {
  let saved: Record<string, string> = {}
  try {
    saved = JSON.parse(localStorage.getItem(ADDRESS_KEY) ?? '{}')
  } catch {}
  const make = (name: string, attrs: Record<string, string | boolean> = {}) =>
    input(`addr-${name}`, { required: name !== 'district', value: saved[name] ?? '', ...attrs })
  const f = {
    name: make('name', { autocomplete: 'name', maxlength: '50' }),
    phone: make('phone', {
      type: 'tel',
      autocomplete: 'tel',
      pattern: '1[3-9]\\d{9}|\\+[1-9]\\d{6,14}',
    }),
    province: make('province', { autocomplete: 'address-level1', maxlength: '30' }),
    city: make('city', { autocomplete: 'address-level2', maxlength: '30' }),
    district: make('district', { autocomplete: 'address-level3', maxlength: '30' }),
    line1: make('line1', { autocomplete: 'street-address', maxlength: '200' }),
    postal_code: make('postal_code', {
      inputmode: 'numeric',
      pattern: '\\d{6}',
      autocomplete: 'postal-code',
    }),
  }
  const el = h(
    'fieldset',
    { class: 'card' },
    h('legend', { text: '收货地址 Ship to' }),
    h('div', { class: 'grid2' }, field('收货人 Name', f.name), field('手机 Phone', f.phone)),
    h('div', { class: 'grid2' }, field('省 Province', f.province), field('市 City', f.city)),
    h(
      'div',
      { class: 'grid2' },
      field('区 District', f.district),
      field('邮编 Postcode', f.postal_code),
    ),
    field('详细地址 Street address', f.line1),
  )
  const read = () => {
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(f)) if (v.value.trim()) out[k] = v.value.trim()
    return out
  }
  return { el, read }
}

function paid(p: Payment) {
  state = 'settled'
  outcomes++
  const held = p.status === 'requires_capture'
  page(
    held ? '已冻结 Funds held' : '付款成功 Paid',
    null,
    h('p', { class: 'done-mark', text: '✓' }),
    h('p', { class: 'amount', text: yuan(p.amount) }),
    notice(
      'ok',
      held
        ? {
            zh: '款项已冻结，拼团成功后扣款，失败全额退回。电视上会显示收据。',
            en: 'Funds are held until the deal succeeds. The TV shows the receipt.',
          }
        : { zh: '付款成功，电视上会显示收据。', en: 'Paid. The TV shows the receipt.' },
    ),
    follow,
  )
}

function signOutButton() {
  return h(
    'div',
    { class: 'actions' },
    h('button', {
      text: '换个账号登录 Sign in with another account',
      on: {
        click: () => {
          phone.clear()
          start()
        },
      },
    }),
  )
}

start()
