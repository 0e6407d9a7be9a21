import { h, replace } from '../../shared/dom'
import { countdown, yuan } from '../../shared/format'
import { messageFor } from '../../shared/messages'
import { qrCode } from '../../shared/qr'
import type { HouseholdChannel } from '../../shared/channel'
import type { Payment } from '../../shared/types'
import { alipayQr } from '../alipay'
import { tv } from '../device'
import { type Screen, focusIn } from '../nav'
import { verifyPaymentReceipt } from '../receipt'
import { watchPayment } from '../watch'
import { button, screenEl, toast } from '../ui'

/**
 * The pay screen, in three numbered steps like Samsung Checkout and Roku Pay: ① what and how
 * much, ② confirm on the phone (QR of confirmation.url and its code; an Alipay QR beside it
 * when the server offers one), ③ the receipt, verified on the TV before it says "paid".
 */
export function payScreen(
  first: Payment,
  what: string,
  go: { done: () => void; channel: HouseholdChannel | null },
): Screen {
  const steps = h(
    'ol',
    { class: 'steps', id: 'pay-steps' },
    h('li', { class: 'done', text: '① 下单 Order' }),
    h('li', { class: 'on', text: '② 手机确认 Confirm on phone' }),
    h('li', { text: '③ 完成 Done' }),
  )
  const left = h('span', { id: 'pay-left', text: countdown(first.expires_at) })
  const status = h('p', {
    class: 'status waiting',
    id: 'pay-status',
    text: '等待手机确认… Waiting for your phone…',
  })
  const alipaySlot = h('div', { class: 'alipay-slot', id: 'alipay-slot', attrs: { hidden: true } })
  const cancel = button('取消付款 Cancel', () => void doCancel(), {
    id: 'pay-cancel',
    class: 'secondary',
  })
  const body = h(
    'div',
    { class: 'pay-body' },
    h(
      'div',
      { class: 'pay-what' },
      h('p', {
        class: 'label',
        text:
          first.purpose.type === 'bill'
            ? '缴费 Bill'
            : first.purpose.type === 'deal'
              ? '拼团 Group buy'
              : '订单 Order',
      }),
      h('p', { class: 'what', id: 'pay-what', text: what }),
      h('p', { class: 'amount', id: 'pay-amount', text: yuan(first.amount) }),
      first.capture === 'manual'
        ? h('p', { class: 'hint', text: '先冻结，成团后扣款 · Held until the deal succeeds' })
        : null,
      h('p', { class: 'hint' }, '请在 ', left, ' 内确认 · Confirm in time'),
      status,
      h('div', { class: 'actions' }, cancel),
    ),
    h(
      'div',
      { class: 'pay-phone' },
      h(
        'div',
        { class: 'qr-box' },
        qrCode(first.confirmation.url, '手机确认二维码 QR code to confirm on the phone'),
      ),
      h('p', { class: 'label', text: '用已绑定的手机扫码确认 Scan with your paired phone' }),
      h(
        'p',
        { class: 'code' },
        '确认码 Code ',
        h('b', { id: 'pay-code', text: first.confirmation.code }),
      ),
    ),
    alipaySlot,
  )
  const el = screenEl('pay', steps, body)

  let settled = false
  const tick = setInterval(() => {
    left.textContent = countdown(first.expires_at)
    if (!settled && Date.parse(first.expires_at) <= Date.now())
      ended({ ...first, status: 'expired' })
  }, 1000)
  const stopWatching = watchPayment(first, (p) => void changed(p), go.channel)

  void alipayQr(first).then((ali) => {
    if (!ali || settled) return
    replace(
      alipaySlot,
      h('div', { class: 'qr-box' }, qrCode(ali.qr_code, '支付宝二维码 Alipay QR code')),
      h('p', { class: 'label', text: '或用支付宝扫码 Or scan with Alipay' }),
    )
    alipaySlot.hidden = false
  })

  async function changed(p: Payment) {
    if (p.status === 'succeeded' || p.status === 'requires_capture') return receipt(p)
    if (p.status !== 'requires_confirmation') ended(p)
  }

  async function receipt(p: Payment) {
    settled = true
    stop()
    status.textContent = '正在验证收据… Verifying the receipt…'
    const verified = await verifyPaymentReceipt(p)
    steps.children[1].className = 'done'
    steps.children[2].className = 'on'
    const held = p.status === 'requires_capture'
    replace(
      body,
      h(
        'div',
        { class: `receipt ${verified.ok ? 'ok' : 'bad'}`, id: 'receipt' },
        h('p', { class: 'mark', text: verified.ok ? '✓' : '!' }),
        h('h1', {
          id: 'receipt-title',
          text: held ? '已冻结，成团后扣款 · Funds held' : '付款成功 · Paid',
        }),
        h('p', { class: 'what', text: what }),
        h('p', { class: 'amount', text: yuan(p.amount) }),
        verified.ok
          ? h('p', {
              class: 'verified',
              id: 'receipt-verified',
              text: `收据已验证 Receipt verified · ES256 · ${verified.kid}`,
            })
          : h('p', {
              class: 'unverified',
              id: 'receipt-unverified',
              text: `收据验证失败 Receipt NOT verified (${verified.reason})`,
            }),
        h('p', { class: 'hint', text: `付款号 ${p.id}` }),
        h(
          'div',
          { class: 'actions' },
          button('完成 Done', go.done, { id: 'receipt-done', class: 'primary' }),
        ),
      ),
    )
    focusIn(el)
  }

  function ended(p: Payment) {
    if (settled) return
    settled = true
    stop()
    const words =
      p.status === 'expired'
        ? { zh: '付款已过期，没有扣款', en: 'The payment expired; nothing was charged' }
        : p.status === 'canceled'
          ? { zh: '付款已取消', en: 'The payment was canceled' }
          : { zh: '付款没有成功', en: `The payment ended: ${p.status}` }
    replace(
      body,
      h(
        'div',
        { class: 'receipt bad', id: 'pay-ended' },
        h('p', { class: 'mark', text: '×' }),
        h('h1', { text: words.zh }),
        h('p', { class: 'hint', text: words.en }),
        h(
          'div',
          { class: 'actions' },
          button('返回 Back', go.done, { id: 'ended-back', class: 'primary' }),
        ),
      ),
    )
    focusIn(el)
  }

  async function doCancel() {
    cancel.disabled = true
    try {
      const p = await tv.call<Payment>(`/v1/payments/${first.id}/cancel`, { method: 'POST' })
      ended(p.status ? p : { ...first, status: 'canceled' })
    } catch (err) {
      toast(messageFor(err))
      cancel.disabled = false
    }
  }

  function stop() {
    clearInterval(tick)
    stopWatching()
  }

  return { el, dispose: stop }
}
