import { DurableObject } from 'cloudflare:workers'
import { LRUCache } from 'lru-cache'

/** Versions remembered per object: the most recent, whether or not someone waits on them. */
const REMEMBERED_VERSIONS = 500

/**
 * One instance per paying user (idFromName(userId)), holding that user's payments' waits. A
 * `GET /v1/payments/{id}?wait=N` parks in wait() until a transition calls notify() after its
 * batch committed, so a waiting TV costs two D1 reads (before and after) however long it waits,
 * instead of one per poll. Per user rather than per payment: a transition nobody waits on
 * reaches an object the household's other payments keep warm, instead of creating one object
 * per payment (a settled deal of 10,000 places made 10,000).
 *
 * The last version seen is kept so a notify that lands between the waiter's D1 read and its
 * wait() call still wakes it: wait() returns at once when it already knows a newer version.
 * Nothing is stored: an object that restarts forgets versions, and a waiter then wakes at its
 * timeout, as after a lost notify.
 */
export class PaymentWaits extends DurableObject<Env> {
  // ttlResolution 0: no timers; entries leave only by recency.
  private readonly versions = new LRUCache<string, number>({
    max: REMEMBERED_VERSIONS,
    ttlResolution: 0,
  })
  private readonly waiters = new Map<string, Set<() => void>>()

  async wait(paymentId: string, knownVersion: number, timeoutMs: number): Promise<boolean> {
    if ((this.versions.get(paymentId) ?? 0) > knownVersion) return true
    const waiting = this.waiters.get(paymentId) ?? new Set<() => void>()
    this.waiters.set(paymentId, waiting)
    return new Promise<boolean>((resolve) => {
      const finish = (changed: boolean) => {
        clearTimeout(timer)
        waiting.delete(wake)
        if (waiting.size === 0 && this.waiters.get(paymentId) === waiting) {
          this.waiters.delete(paymentId)
        }
        resolve(changed)
      }
      const wake = () => finish(true)
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs))
      waiting.add(wake)
    })
  }

  async notify(paymentId: string, version: number): Promise<number> {
    if (version > (this.versions.get(paymentId) ?? 0)) this.versions.set(paymentId, version)
    const waiting = [...(this.waiters.get(paymentId) ?? [])]
    for (const wake of waiting) wake()
    return waiting.length
  }
}

function stub(env: Env, userId: string) {
  return env.PAYMENT_WAITS.get(env.PAYMENT_WAITS.idFromName(userId))
}

type Watch = { id: string; userId: string }

/** Post-commit and best effort: a lost notify only means the waiter wakes at its timeout. */
export async function notifyPaymentChanged(env: Env, payment: Watch, version: number) {
  try {
    await stub(env, payment.userId).notify(payment.id, version)
  } catch (err) {
    const line = { event: 'payment_notify_failed', payment: payment.id, error: String(err) }
    console.error(JSON.stringify(line))
  }
}

export async function waitForPaymentChange(
  env: Env,
  payment: Watch,
  knownVersion: number,
  timeoutMs: number,
) {
  return stub(env, payment.userId).wait(payment.id, knownVersion, timeoutMs)
}
