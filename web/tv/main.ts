import './tv.css'
import { ApiProblem } from '../shared/api'
import { HouseholdChannel } from '../shared/channel'
import { text } from '../shared/messages'
import type { Category, Payment } from '../shared/types'
import { forget, onUnpaired, tv } from './device'
import * as nav from './nav'
import { billScreen, billsScreen } from './screens/bills'
import { categoryScreen } from './screens/category'
import { dealScreen } from './screens/deal'
import { type Go, homeScreen } from './screens/home'
import { pairingScreen } from './screens/pairing'
import { payScreen } from './screens/pay'
import { productScreen } from './screens/product'
import { lastKey, searchScreen } from './screens/search'
import { suggestFetchTimes, suggestSources, suggestTimes } from './suggest'
import { fitStage, toast } from './ui'

// The reference TV app. Arrow keys, Enter and Back only; everything it knows comes from the
// public API (/v1/home, suggest, products, deals, bills, payments) with this TV's device token.

const metrics = {
  suggestMs: suggestTimes,
  suggestFetchMs: suggestFetchTimes,
  suggestSources,
  homeReadyMs: 0,
  homeInteractiveAt: 0,
}
;(window as unknown as { __tvpay: typeof metrics }).__tvpay = metrics

let channel: HouseholdChannel | null = null

function openChannel() {
  channel?.close()
  channel = null
  if (!tv.signedIn) return
  channel = new HouseholdChannel(async () => {
    try {
      return (await tv.call<{ ticket: string }>('/v1/channel/tickets', { method: 'POST' })).ticket
    } catch (err) {
      if (err instanceof ApiProblem && (err.status === 404 || err.status === 405)) return null
      throw err
    }
  })
  channel.on('device.revoked', () => unpaired())
  channel.on('input.key', (msg) => remoteKey(String(msg.key)))
  channel.on('input.text', (msg) => nav.current()?.onText?.(String(msg.text ?? '')))
  channel.on('show', (msg) => {
    const id = String(msg.id ?? '')
    if (msg.kind === 'product') go.product(id)
    else if (msg.kind === 'deal') go.deal(id)
    else if (msg.kind === 'bill') go.bill(id)
  })
}

/** The phone as a remote: the same moves as the TV's own keys. */
function remoteKey(key: string) {
  const arrows: Record<string, string> = {
    up: 'ArrowUp',
    down: 'ArrowDown',
    left: 'ArrowLeft',
    right: 'ArrowRight',
  }
  if (arrows[key]) nav.move(arrows[key])
  else if (key === 'ok') (document.activeElement as HTMLElement | null)?.click()
  else if (key === 'back') nav.back()
  else if (key === 'home') nav.home()
}

const pay = (payment: Payment, what: string) =>
  nav.push(payScreen(payment, what, { done: () => nav.home(), channel }))

/** An action that needs a paired TV: pair first, then carry on where the person was. */
const needPairing = (then: () => void) =>
  nav.push(
    pairingScreen({
      why: '下单和缴费需要先绑定手机 · Pair a phone to buy and pay',
      paired: () => {
        nav.pop()
        openChannel()
        then()
      },
    }),
  )

const go: Go = {
  search: () => nav.push(searchScreen({ product: go.product, category: go.category })),
  product: (id) => nav.push(productScreen(id, { pay, deal: go.deal, needPairing })),
  deal: (id) => nav.push(dealScreen(id, { pay, needPairing })),
  bill: (id) => nav.push(billScreen(id, { pay })),
  bills: () => nav.push(billsScreen({ bill: go.bill })),
  category: (c: Category) => nav.push(categoryScreen(c, { product: go.product })),
  pair: () => needPairing(() => {}),
}

function showHome() {
  nav.reset(homeScreen(go))
}

function unpaired() {
  forget()
  channel?.close()
  channel = null
  toast(text('device_revoked'))
  nav.reset(
    pairingScreen({
      why: '这台电视已在手机上解除绑定，请重新绑定 · This TV was unpaired',
      paired: paired,
      browse: showHome,
    }),
  )
}

function paired() {
  openChannel()
  showHome()
}

onUnpaired(() => unpaired())
nav.mount(document.getElementById('screen') as HTMLElement)
fitStage(document.getElementById('stage') as HTMLElement)
nav.installKeys(() => {
  lastKey.at = performance.now()
})
document.getElementById('screen')?.replaceChildren()
if (tv.signedIn) paired()
else nav.reset(pairingScreen({ paired, browse: showHome }))
