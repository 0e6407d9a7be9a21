import { ApiProblem } from '../shared/api'
import type { HouseholdChannel } from '../shared/channel'
import type { Payment } from '../shared/types'
import { tv } from './device'

const SETTLED = new Set([
  'succeeded',
  'requires_capture',
  'canceled',
  'expired',
  'failed',
  'refunded',
])
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Tells `changed` each new status of a payment until it settles. With the household channel
 * connected, a `payment.updated` for this payment triggers one read; without it (or when it
 * drops), `GET /v1/payments/{id}?wait=25` long-polls: the server answers the moment the phone
 * confirms. Returns a stop function.
 */
export function watchPayment(
  first: Payment,
  changed: (p: Payment) => void,
  channel: HouseholdChannel | null,
): () => void {
  const ctl = new AbortController()
  let status = first.status
  const report = (p: Payment) => {
    if (ctl.signal.aborted || p.status === status) return
    status = p.status
    changed(p)
    if (SETTLED.has(p.status)) ctl.abort()
  }
  const read = (wait: number) =>
    tv.call<Payment>(`/v1/payments/${first.id}${wait ? `?wait=${wait}` : ''}`, {
      signal: ctl.signal,
    })

  const off = channel?.on('payment.updated', (msg) => {
    const p = msg.payment as Payment | undefined
    // The socket's copy may be addressed to the phone; this TV reads its own (receipt audience).
    if (p?.id === first.id) void read(0).then(report, () => {})
  })

  void (async () => {
    while (!ctl.signal.aborted) {
      try {
        if (channel?.connected) {
          await sleep(20_000) // the socket wakes us; an occasional read covers a missed message
          if (!ctl.signal.aborted) report(await read(0))
        } else {
          report(await read(25))
        }
      } catch (err) {
        if (ctl.signal.aborted) break
        if (err instanceof ApiProblem && err.status === 401) break // unpaired: main.ts takes over
        await sleep(err instanceof ApiProblem && err.status === 0 ? 2000 : 3000)
      }
    }
  })()

  return () => {
    off?.()
    ctl.abort()
  }
}
