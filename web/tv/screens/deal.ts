import { idempotencyKey } from '../../shared/api'
import { h, replace } from '../../shared/dom'
import { countdown, yuan } from '../../shared/format'
import { messageFor } from '../../shared/messages'
import type { Deal, Payment } from '../../shared/types'
import { read, tv } from '../device'
import { type Screen, focusIn } from '../nav'
import { button, picture, screenEl, toast } from '../ui'
import type { Checkout } from './product'

/** A group-buy deal: progress to the group size, time left (by the server's clock), join. */
export function dealScreen(
  id: string,
  go: { pay: Checkout; needPairing: (then: () => void) => void },
): Screen {
  const el = screenEl('deal', h('p', { class: 'status', text: '加载中… Loading…' }))
  const abort = new AbortController()
  let tick: ReturnType<typeof setInterval> | undefined
  void load()

  async function load() {
    let d: Deal
    try {
      d = await read<Deal>(`/v1/deals/${encodeURIComponent(id)}`, abort.signal)
    } catch (err) {
      if ((err as Error).name === 'AbortError') return
      const m = messageFor(err)
      replace(el, h('p', { class: 'status error', text: `${m.zh} ${m.en}` }))
      return
    }
    const skew = d.server_time ? Date.parse(d.server_time) - Date.now() : 0
    const left = h('span', { id: 'deal-left', text: countdown(d.ends_at, Date.now() + skew) })
    tick = setInterval(() => {
      left.textContent = countdown(d.ends_at, Date.now() + skew)
    }, 1000)
    const open = d.status === 'active' || d.status === 'tipped'
    const join = button(
      `参团 Join · ${yuan(d.deal_price)}`,
      () => (tv.signedIn ? void doJoin() : go.needPairing(() => void doJoin())),
      {
        id: 'join',
        class: 'primary',
        disabled: !open,
      },
    )
    async function doJoin() {
      join.disabled = true
      try {
        const answer = await tv.call<{ payment: Payment }>(`/v1/deals/${d.id}/join`, {
          method: 'POST',
          idempotencyKey: idempotencyKey(),
          body: { quantity: 1 },
        })
        go.pay(answer.payment, `拼团 ${d.product.title}`)
      } catch (err) {
        toast(messageFor(err))
      } finally {
        join.disabled = !open
      }
    }
    const pct = Math.min(100, Math.round((d.participants / Math.max(1, d.min_group_size)) * 100))
    const fill = h('div', { class: 'fill' })
    fill.style.width = `${pct}%` // CSSOM, not a style attribute: allowed by the page's CSP
    const bar = h('div', { class: 'bar' }, fill)
    replace(
      el,
      h(
        'div',
        { class: 'detail' },
        picture(d.product.image, d.product.brand, 'pic big'),
        h(
          'div',
          { class: 'info' },
          h('p', { class: 'brand', text: `拼团 Group buy · ${d.product.brand}` }),
          h('h1', { class: 'title', id: 'deal-title', text: d.product.title }),
          h('p', { class: 'price big' }, yuan(d.deal_price), h('s', { text: yuan(d.list_price) })),
          h('p', {
            class: 'progress-text',
            text: `已有 ${d.participants} 人参团，满 ${d.min_group_size} 人成团 · ${d.participants} of ${d.min_group_size} joined`,
          }),
          bar,
          h(
            'p',
            { class: 'hint' },
            '剩余 Ends in ',
            left,
            ` · 每人限 ${d.max_per_user} 件 · 余 ${d.stock_remaining} 件`,
          ),
          h('p', {
            class: 'hint',
            text: '参团先冻结款项，成团后扣款，未成团全额退回 · Funds are held; taken only if the deal succeeds',
          }),
          h('div', { class: 'buy-row' }, join),
        ),
      ),
    )
    if (el.isConnected && !el.hidden) focusIn(el, join.disabled ? null : join)
  }

  return {
    el,
    dispose: () => {
      abort.abort()
      clearInterval(tick)
    },
  }
}
