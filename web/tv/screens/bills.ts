import { idempotencyKey } from '../../shared/api'
import { h, replace } from '../../shared/dom'
import { day, yuan } from '../../shared/format'
import { messageFor } from '../../shared/messages'
import type { Bill, List, Payment } from '../../shared/types'
import { tv } from '../device'
import { type Screen, focusIn } from '../nav'
import { button, heading, nextId, screenEl, toast } from '../ui'
import type { Checkout } from './product'

const CATEGORY: Record<string, string> = {
  electricity: '电费',
  water: '水费',
  gas: '燃气费',
  broadband: '宽带',
  tv: '有线电视',
}

/** The household's unpaid bills (GET /v1/me/bills). */
export function billsScreen(go: { bill: (id: string) => void }): Screen {
  const list = h(
    'div',
    { class: 'grid bills-grid', id: 'bills' },
    h('p', { class: 'status', text: '加载中… Loading…' }),
  )
  const el = screenEl('bills', heading('生活缴费', 'Bills'), list)
  void (async () => {
    try {
      const bills = await tv.call<List<Bill>>('/v1/me/bills?status=unpaid&limit=50')
      if (bills.items.length === 0) {
        replace(list, h('p', { class: 'status', text: '没有待缴账单 · Nothing to pay' }))
        return
      }
      replace(
        list,
        ...bills.items.map((b) =>
          button(
            [
              h('span', {
                class: 'biller',
                text: `${CATEGORY[b.biller.category] ?? ''} ${b.biller.name}`,
              }),
              h('span', {
                class: 'sub',
                text: `${b.nickname ?? b.account_number_masked} · ${b.period}`,
              }),
              h('span', { class: 'price', text: yuan(b.amount_remaining) }),
              h('span', {
                class: `badge ${b.overdue ? '' : 'gray'}`,
                text: b.overdue ? '已逾期 Overdue' : `截止 ${day(b.due_date)}`,
              }),
            ],
            () => go.bill(b.id),
            { class: 'tile bill', id: nextId(`bl-${b.id}`) },
          ),
        ),
      )
      if (!el.hidden) focusIn(el)
    } catch (err) {
      const m = messageFor(err)
      replace(list, h('p', { class: 'status error', text: `${m.zh} ${m.en}` }))
    }
  })()
  return { el }
}

/** One bill: what is due, by when; Pay starts (or resumes) its payment: POST /v1/bills/{id}/pay. */
export function billScreen(id: string, go: { pay: Checkout }): Screen {
  const el = screenEl('bill', h('p', { class: 'status', text: '加载中… Loading…' }))
  void (async () => {
    let b: Bill
    try {
      b = await tv.call<Bill>(`/v1/bills/${encodeURIComponent(id)}`)
    } catch (err) {
      const m = messageFor(err)
      replace(el, h('p', { class: 'status error', text: `${m.zh} ${m.en}` }))
      return
    }
    const what = `${b.biller.name} ${b.period}`
    const pay = button(
      `缴费 Pay · ${yuan(b.amount_remaining)}`,
      async () => {
        pay.disabled = true
        try {
          const answer = await tv.call<{ payment: Payment }>(`/v1/bills/${b.id}/pay`, {
            method: 'POST',
            idempotencyKey: idempotencyKey(),
            body: {},
          })
          go.pay(answer.payment, what)
        } catch (err) {
          toast(messageFor(err))
        } finally {
          pay.disabled = b.status === 'paid'
        }
      },
      { id: 'pay-bill', class: 'primary', disabled: b.status === 'paid' },
    )
    replace(
      el,
      heading(`${CATEGORY[b.biller.category] ?? ''} ${b.biller.name}`, 'Bill'),
      h(
        'dl',
        { class: 'facts big' },
        h('dt', { text: '户号 Account' }),
        h('dd', { text: b.account_number_masked }),
        b.nickname ? h('dt', { text: '备注 Name' }) : null,
        b.nickname ? h('dd', { text: b.nickname }) : null,
        h('dt', { text: '账期 Period' }),
        h('dd', { text: b.period }),
        h('dt', { text: '应缴 Due' }),
        h('dd', { class: 'price', id: 'bill-amount', text: yuan(b.amount_remaining) }),
        h('dt', { text: '截止 Due date' }),
        h('dd', { text: `${day(b.due_date)}${b.overdue ? ' · 已逾期 Overdue' : ''}` }),
      ),
      h('div', { class: 'buy-row' }, pay),
    )
    if (!el.hidden) focusIn(el, pay)
  })()
  return { el }
}
