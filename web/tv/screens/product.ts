import { idempotencyKey } from '../../shared/api'
import { h, replace } from '../../shared/dom'
import { yuan } from '../../shared/format'
import { messageFor } from '../../shared/messages'
import type { Payment, ProductDetail } from '../../shared/types'
import { read, tv } from '../device'
import { type Screen, focusIn } from '../nav'
import { button, picture, screenEl, toast } from '../ui'

export type Checkout = (payment: Payment, what: string) => void

const STOCK: Record<string, string> = {
  in_stock: '有货 In stock',
  low_stock: '库存紧张 Few left',
  out_of_stock: '缺货 Out of stock',
}

/** Product detail; Buy orders it (POST /v1/orders) and hands the payment to the pay screen. */
export function productScreen(
  id: string,
  go: { pay: Checkout; deal: (id: string) => void; needPairing: (then: () => void) => void },
): Screen {
  const el = screenEl('product', h('p', { class: 'status', text: '加载中… Loading…' }))
  const abort = new AbortController()
  void load()

  async function load() {
    let p: ProductDetail
    try {
      p = await read<ProductDetail>(`/v1/products/${encodeURIComponent(id)}`, abort.signal)
    } catch (err) {
      if ((err as Error).name === 'AbortError') return
      const m = messageFor(err)
      replace(el, h('p', { class: 'status error', text: `${m.zh} ${m.en}` }))
      return
    }
    let quantity = 1
    const qty = h('span', { class: 'qty', id: 'qty', text: '1' })
    const total = h('span', { id: 'total', text: yuan(p.price) })
    const setQty = (n: number) => {
      quantity = Math.max(1, Math.min(9, n))
      qty.textContent = String(quantity)
      total.textContent = yuan({ ...p.price, amount: p.price.amount * quantity })
    }
    const soldOut = p.stock_status === 'out_of_stock'
    const buy = button(
      [h('span', { text: '立即购买 Buy now · ' }), total],
      () => (tv.signedIn ? void order() : go.needPairing(() => void order())),
      { id: 'buy', class: 'primary', disabled: soldOut },
    )
    async function order() {
      buy.disabled = true
      try {
        const answer = await tv.call<{ payment: Payment }>('/v1/orders', {
          method: 'POST',
          idempotencyKey: idempotencyKey(),
          body: { items: [{ product_id: p.id, quantity }] },
        })
        go.pay(answer.payment, quantity > 1 ? `${p.title} × ${quantity}` : p.title)
      } catch (err) {
        toast(messageFor(err))
      } finally {
        buy.disabled = soldOut
      }
    }
    const attrs = Object.entries(p.attributes ?? {}).slice(0, 6)
    const deal = p.active_deal
    replace(
      el,
      h(
        'div',
        { class: 'detail' },
        picture(p.images[0] ?? p.image, p.brand, 'pic big'),
        h(
          'div',
          { class: 'info' },
          h('p', { class: 'brand', text: p.brand }),
          h('h1', { class: 'title', id: 'product-title', text: p.title }),
          h('p', { class: 'price big', text: yuan(p.price) }),
          h('p', { class: `stock ${p.stock_status}`, text: STOCK[p.stock_status ?? 'in_stock'] }),
          attrs.length
            ? h(
                'dl',
                { class: 'attrs' },
                ...attrs.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: String(v) })]),
              )
            : null,
          deal
            ? h(
                'div',
                { class: 'deal-box' },
                h('span', {
                  text: `拼团价 ${yuan(deal.deal_price)} · ${deal.min_group_size} 人成团`,
                }),
                button('参团 Join the deal', () => go.deal(deal.id), {
                  id: 'open-deal',
                  class: 'secondary',
                }),
              )
            : null,
          h(
            'div',
            { class: 'buy-row lrud-container' },
            h(
              'div',
              { class: 'stepper' },
              button('−', () => setQty(quantity - 1), {
                id: 'qty-minus',
                class: 'round',
                aria: '减少 Fewer',
              }),
              qty,
              button('+', () => setQty(quantity + 1), {
                id: 'qty-plus',
                class: 'round',
                aria: '增加 More',
              }),
            ),
            buy,
          ),
        ),
      ),
    )
    if (el.isConnected && !el.hidden) focusIn(el, buy.disabled ? null : buy)
  }

  return { el, dispose: () => abort.abort() }
}
