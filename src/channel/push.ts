import { ApiError } from '../http/errors'
import type { Payment } from '../payments'
import { HOLDER_HEADER, type PaymentEvent } from './protocol'
import type { TicketHolder } from './tickets'

/**
 * What the rest of the Worker calls to reach a household's channel (src/channel/household.ts):
 * the upgrade, payment pushes, revocations and reminders. Everything but the upgrade is best
 * effort after a commit: a failure is logged and never undoes or fails what already happened.
 */

function household(env: Env, userId: string) {
  return env.HOUSEHOLD.get(env.HOUSEHOLD.idFromName(userId))
}

/** Forwards the upgrade to the holder's household, which checks the credential once more. */
export async function connect(env: Env, holder: TicketHolder): Promise<Response> {
  const headers = { upgrade: 'websocket', [HOLDER_HEADER]: JSON.stringify(holder) }
  const res = await household(env, holder.userId).fetch('https://household/connect', { headers })
  if (res.status === 101) return res
  const body = (await res.json().catch(() => ({}))) as { detail?: string }
  throw new ApiError('invalid_token', body.detail ?? 'The ticket holder may no longer connect')
}

/** A device just started a payment (after its batch committed): the phones can open it. */
export async function pushPaymentRequested(env: Env, payment: Payment) {
  if (!payment.startedByDeviceId) return
  await push(env, payment, 'payment.requested')
}

/** A payment changed status (after the transition committed). */
export async function pushPaymentUpdated(env: Env, payment: Payment) {
  await push(env, payment, 'payment.updated')
}

async function push(env: Env, payment: Payment, event: PaymentEvent) {
  try {
    await household(env, payment.userId).pushPayment(event, payment)
  } catch (err) {
    logFailure('channel_payment_push_failed', err, { payment: payment.id, event })
  }
}

/** After the unpairing committed: the device's sockets get device.revoked and close (4001). */
export async function revokeChannelDevice(env: Env, userId: string, deviceId: string) {
  try {
    await household(env, userId).revokeDevice(deviceId)
  } catch (err) {
    logFailure('channel_revoke_failed', err, { device: deviceId })
  }
}

/** After a session ended (logout, refresh-token reuse): its sockets close (4001). */
export async function endChannelSession(env: Env, userId: string, sessionId: string) {
  try {
    await household(env, userId).endSession(sessionId)
  } catch (err) {
    logFailure('channel_session_end_failed', err, { session: sessionId })
  }
}

/** Households told per call, and at once: within a cron invocation's subrequest budget. */
const HOUSEHOLDS_PER_CALL = 400
const HOUSEHOLDS_AT_ONCE = 20

/**
 * New reminders were recorded for these people: hand them to whichever of their phones are
 * connected. Whatever is not handed over here (no phone online, a failure, past the per-call
 * bound) stays in the outbox until a phone of that household connects.
 */
export async function deliverNotifications(env: Env, userIds: string[]) {
  let delivered = 0
  const due = userIds.slice(0, HOUSEHOLDS_PER_CALL)
  for (let i = 0; i < due.length; i += HOUSEHOLDS_AT_ONCE) {
    await Promise.all(
      due.slice(i, i + HOUSEHOLDS_AT_ONCE).map(async (userId) => {
        try {
          delivered += await household(env, userId).deliverNotifications(userId)
        } catch (err) {
          logFailure('channel_notifications_failed', err, { user: userId })
        }
      }),
    )
  }
  return { delivered }
}

function logFailure(event: string, err: unknown, ids: Record<string, string>) {
  const error = err instanceof Error ? err.message : String(err)
  console.error(JSON.stringify({ event, ...ids, error }))
}
