import './phone.css'
import { h } from '../shared/dom'
import { day } from '../shared/format'
import { messageFor } from '../shared/messages'
import type { Device, List } from '../shared/types'
import { guard, notice, page, phone, signIn } from './common'
import { openRequestedPayments } from './follow'

// The TVs paired to this account; unpairing one ends its tokens at once (API.md). While it is
// open, a payment started on one of them opens here (follow.ts).

const CLIENTS: Record<string, string> = {
  'skyworth-tv': '创维 Skyworth',
  'haier-tv': '海尔 Haier',
  'changhong-tv': '长虹 Changhong',
  'wasu-rainbow': '华数彩虹 Wasu',
}

function start() {
  if (!phone.signedIn) return signIn('登录后查看绑定的电视 Sign in to see your paired TVs', start)
  follow ??= openRequestedPayments()
  guard(list)
}

let follow: HTMLElement | undefined

async function list(flash?: Node) {
  const devices = await phone.call<List<Device>>('/v1/me/devices?limit=50')
  const items = devices.items.map((d) => {
    const row = h(
      'li',
      { data: { deviceId: d.id } },
      h(
        'div',
        {},
        h('span', { class: 'name', text: d.name }),
        h('small', {
          text: `${CLIENTS[d.client_id] ?? d.client_id} · 绑定于 paired ${day(d.created_at)}`,
        }),
        h('small', { text: d.last_seen_at ? `最近使用 last used ${day(d.last_seen_at)}` : '' }),
      ),
      h('button', {
        class: 'danger',
        text: '解除绑定 Unpair',
        attrs: { 'aria-label': `解除绑定 ${d.name}` },
        on: {
          click: async (e) => {
            const button = e.currentTarget as HTMLButtonElement
            button.disabled = true
            try {
              await phone.call(`/v1/me/devices/${d.id}`, { method: 'DELETE' })
              await list(
                notice('ok', {
                  zh: `已解除绑定「${d.name}」，它不能再代你下单。`,
                  en: `"${d.name}" is unpaired and can no longer act for you.`,
                }),
              )
            } catch (err) {
              button.disabled = false
              row.after(notice('error', messageFor(err)))
            }
          },
        },
      }),
    )
    return row
  })
  page(
    '我的电视 My TVs',
    '这些电视可以代你浏览、下单和发起缴费；每笔付款都要在手机上确认。These TVs can shop and start payments for you; every payment is confirmed here.',
    flash ?? null,
    follow ?? null,
    items.length
      ? h('ul', { class: 'devices', id: 'devices' }, ...items)
      : notice('info', {
          zh: '还没有绑定的电视。在电视上打开 tvpay，扫描屏幕上的二维码即可绑定。',
          en: 'No paired TVs yet. Open tvpay on a TV and scan its QR code.',
        }),
  )
}

start()
