import { DurableObject } from 'cloudflare:workers'

/**
 * One instance per payment (idFromName(paymentId)). A `GET /v1/payments/{id}?wait=N` parks in
 * wait() until a transition calls notify() after its batch committed, so a waiting TV costs two
 * D1 reads (before and after) however long it waits, instead of one per poll.
 *
 * The last version seen is kept so a notify that lands between the waiter's D1 read and its
 * wait() call still wakes it: wait() returns at once when it already knows a newer version.
 */
export class PaymentWaits extends DurableObject<Env> {
  private version = 0
  private readonly waiters = new Set<() => void>()

  async wait(knownVersion: number, timeoutMs: number): Promise<boolean> {
    if (this.version > knownVersion) return true
    return new Promise<boolean>((resolve) => {
      const finish = (changed: boolean) => {
        clearTimeout(timer)
        this.waiters.delete(wake)
        resolve(changed)
      }
      const wake = () => finish(true)
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs))
      this.waiters.add(wake)
    })
  }

  async notify(version: number): Promise<number> {
    if (version > this.version) this.version = version
    const woken = this.waiters.size
    for (const wake of [...this.waiters]) wake()
    return woken
  }
}

function stub(env: Env, paymentId: string) {
  return env.PAYMENT_WAITS.get(env.PAYMENT_WAITS.idFromName(paymentId))
}

/** Post-commit and best effort: a lost notify only means the waiter wakes at its timeout. */
export async function notifyPaymentChanged(env: Env, paymentId: string, version: number) {
  try {
    await stub(env, paymentId).notify(version)
  } catch (err) {
    const line = { event: 'payment_notify_failed', payment: paymentId, error: String(err) }
    console.error(JSON.stringify(line))
  }
}

export async function waitForPaymentChange(
  env: Env,
  paymentId: string,
  knownVersion: number,
  timeoutMs: number,
) {
  return stub(env, paymentId).wait(knownVersion, timeoutMs)
}
