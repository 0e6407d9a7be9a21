import { h, replace } from '../../shared/dom'
import { day, yuan } from '../../shared/format'
import { messageFor } from '../../shared/messages'
import type { Bill, Category, Deal, HomeRail, ProductSummary } from '../../shared/types'
import { read, tv } from '../device'
import { type Screen, focusIn } from '../nav'
import { button, nextId, picture, screenEl } from '../ui'

export type Go = {
  search: () => void
  product: (id: string) => void
  deal: (id: string) => void
  bill: (id: string) => void
  bills: () => void
  category: (c: Category) => void
  pair: () => void
}

/** The home screen: one GET /v1/home (with the device token when paired: then bills too). */
export function homeScreen(go: Go): Screen {
  const rails = h(
    'div',
    { class: 'rails', id: 'rails' },
    h('p', { class: 'status', text: '加载中… Loading…' }),
  )
  const header = h(
    'header',
    { class: 'top lrud-container' },
    h('div', { class: 'logo' }, 'tvpay', h('small', { text: '电视购物 · 生活缴费' })),
    h(
      'nav',
      { class: 'top-actions' },
      button('搜索 Search', go.search, { id: 'go-search', class: 'pill' }),
      tv.signedIn ? button('生活缴费 Bills', go.bills, { id: 'go-bills', class: 'pill' }) : null,
      tv.signedIn
        ? h('span', { class: 'paired', id: 'paired-badge', text: '✓ 已绑定手机 Paired' })
        : button('绑定手机 Pair', go.pair, { id: 'go-pair', class: 'pill accent' }),
    ),
  )
  const el = screenEl('home', header, rails)
  const started = performance.now()
  void load()

  async function load() {
    try {
      const home = await read<{ rails: HomeRail[] }>('/v1/home')
      replace(rails, ...home.rails.map((r) => rail(r, go)))
      const first = rails.querySelector<HTMLElement>('button')
      const moved =
        el.contains(document.activeElement) && document.activeElement?.id !== 'go-search'
      if (!moved && !el.hidden) focusIn(el, first)
      // Time to interactive: the rails are on screen and a remote key moves focus among them.
      const m = (window as unknown as { __tvpay: Record<string, number> }).__tvpay
      m.homeReadyMs = performance.now() - started
      m.homeInteractiveAt ||= performance.now()
    } catch (err) {
      const m = messageFor(err)
      replace(
        rails,
        h(
          'p',
          { class: 'status error' },
          `${m.zh} ${m.en} `,
          button('重试 Retry', () => void load()),
        ),
      )
    }
  }
  return { el }
}

function rail(r: HomeRail, go: Go): HTMLElement {
  const items: HTMLElement[] =
    r.kind === 'deals'
      ? r.items.map((d) => dealCard(d, go))
      : r.kind === 'products'
        ? r.items.map((p) => productTile(p, () => go.product(p.id)))
        : r.kind === 'categories'
          ? r.items.map((c) =>
              button(c.name, () => go.category(c), { class: 'chip', id: nextId(`cat-${c.id}`) }),
            )
          : r.kind === 'bills'
            ? r.items.map((b) => billCard(b, go))
            : []
  return h(
    'section',
    { class: `rail rail-${r.kind}`, id: `rail-${r.id}`, attrs: { 'aria-label': r.title } },
    h('h2', { text: r.title }),
    h('div', { class: 'rail-items' }, ...items),
  )
}

export function productTile(p: ProductSummary, open: () => void): HTMLButtonElement {
  return button(
    [
      picture(p.image, p.brand),
      h('span', { class: 'title', text: p.title }),
      h('span', { class: 'price', text: yuan(p.price) }),
      p.stock_status === 'out_of_stock' ? h('span', { class: 'badge gray', text: '缺货' }) : null,
    ].filter(Boolean) as Node[],
    open,
    { class: 'tile', id: nextId(`p-${p.id}`), aria: `${p.title} ${yuan(p.price)}` },
  )
}

function dealCard(d: Deal, go: Go): HTMLButtonElement {
  return button(
    [
      picture(d.product.image, d.product.brand),
      h('span', { class: 'title', text: d.product.title }),
      h('span', { class: 'price' }, yuan(d.deal_price), h('s', { text: yuan(d.list_price) })),
      h('span', { class: 'badge', text: `${d.participants}/${d.min_group_size} 人成团` }),
    ],
    () => go.deal(d.id),
    {
      class: 'tile deal',
      id: nextId(`d-${d.id}`),
      aria: `拼团 ${d.product.title} ${yuan(d.deal_price)}`,
    },
  )
}

function billCard(b: Bill, go: Go): HTMLButtonElement {
  return button(
    [
      h('span', { class: 'biller', text: b.biller.name }),
      h('span', { class: 'sub', text: `${b.nickname ?? b.account_number_masked} · ${b.period}` }),
      h('span', { class: 'price', text: yuan(b.amount_remaining ?? b.amount_due) }),
      h('span', {
        class: `badge ${b.overdue ? '' : 'gray'}`,
        text: b.overdue ? '已逾期 Overdue' : `截止 ${day(b.due_date)}`,
      }),
    ],
    () => go.bill(b.id),
    {
      class: 'tile bill',
      id: nextId(`bill-${b.id}`),
      aria: `${b.biller.name} ${yuan(b.amount_remaining ?? b.amount_due)}`,
    },
  )
}
