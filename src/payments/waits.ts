import { DurableObject } from 'cloudflare:workers'

/** Versions remembered per object for payments nobody waits on (most recent kept). */
const REMEMBERED_VERSIONS = 500

type Watched = { version: number; waiters: Set<() => void> }

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
  private readonly payments = new Map<string, Watched>()

  async wait(paymentId: string, knownVersion: number, timeoutMs: number): Promise<boolean> {
    const watched = this.watched(paymentId)
    if (watched.version > knownVersion) return true
    return new Promise<boolean>((resolve) => {
      const finish = (changed: boolean) => {
        clearTimeout(timer)
        watched.waiters.delete(wake)
        resolve(changed)
      }
      const wake = () => finish(true)
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs))
      watched.waiters.add(wake)
    })
  }

  async notify(paymentId: string, version: number): Promise<number> {
    const watched = this.watched(paymentId)
    if (version > watched.version) watched.version = version
    const woken = watched.waiters.size
    for (const wake of [...watched.waiters]) wake()
    return woken
  }

  /** The payment's entry, moved to the newest end; the oldest idle entries beyond the bound go. */
  private watched(paymentId: string): Watched {
    const watched = this.payments.get(paymentId) ?? { version: 0, waiters: new Set() }
    this.payments.delete(paymentId)
    this.payments.set(paymentId, watched)
    if (this.payments.size > REMEMBERED_VERSIONS) {
      for (const [id, w] of this.payments) {
        if (this.payments.size <= REMEMBERED_VERSIONS) break
        if (w.waiters.size === 0 && id !== paymentId) this.payments.delete(id)
      }
    }
    return watched
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
