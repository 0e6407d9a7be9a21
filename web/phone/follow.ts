import { ApiProblem } from '../shared/api'
import { type ChannelMessage, HouseholdChannel } from '../shared/channel'
import { h } from '../shared/dom'
import type { Payment } from '../shared/types'
import { phone } from './common'

/**
 * The phone side of "pay" in docs/channel.md: while a phone page is open it holds the household
 * channel, and a `payment.requested` (a TV of this household started a payment) opens that
 * payment's confirmation page here, so nobody has to scan the TV's QR code. `payment.updated`
 * lets the pay page show an outcome decided elsewhere (canceled on the TV, expired).
 * The channel is an accelerator: without it (404, socket down) the QR code still works.
 */
let channel: HouseholdChannel | null = null

export function householdChannel(): HouseholdChannel | null {
  if (!phone.signedIn) return null
  channel ??= new HouseholdChannel(async () => {
    try {
      return (await phone.call<{ ticket: string }>('/v1/channel/tickets', { method: 'POST' }))
        .ticket
    } catch (err) {
      if (err instanceof ApiProblem && (err.status === 404 || err.status === 405)) return null
      throw err
    }
  })
  return channel
}

/** The path a payment's QR code names, on this origin (the phone is already on it). */
export function payPath(p: Pick<Payment, 'id' | 'confirmation'>): string {
  return `/pay/${encodeURIComponent(p.id)}?code=${encodeURIComponent(p.confirmation.code)}`
}

/** A payment that still waits for this phone's PIN. */
export function awaitsConfirmation(p: Payment): boolean {
  return p.status === 'requires_confirmation' && Date.parse(p.expires_at) > Date.now()
}

export function pushedPayment(msg: ChannelMessage): Payment | null {
  const p = msg.payment as Payment | undefined
  return p && typeof p.id === 'string' && p.confirmation ? p : null
}

/**
 * Opens every payment a TV starts from now on (`when()` may say "not now": the pay page does while
 * its own payment waits for the PIN). Returns the line that tells the person so; it reads
 * "connected" once the socket is open (`data-channel` is `open`, `closed` or `connecting`).
 */
export function openRequestedPayments(when: (p: Payment) => boolean = () => true): HTMLElement {
  const line = h('p', {
    class: 'follow sub',
    id: 'follow',
    data: { channel: 'connecting' },
    text: '',
  })
  const ch = householdChannel()
  if (!ch) return line
  const show = (open: boolean) => {
    line.dataset.channel = open ? 'open' : 'closed'
    line.textContent = open
      ? '● 电视上发起付款时，这里会自动打开确认页 Payments started on your TVs open here'
      : ''
  }
  if (ch.connected) show(true)
  ch.on('channel.open', () => show(true))
  ch.on('channel.closed', () => show(false))
  ch.on('payment.requested', (msg) => {
    const p = pushedPayment(msg)
    if (p && awaitsConfirmation(p) && when(p)) location.assign(payPath(p))
  })
  return line
}
