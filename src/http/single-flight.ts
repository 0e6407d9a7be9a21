/**
 * One piece of work for concurrent requests that want the same thing in this isolate: the first
 * (the leader) does it, the others (followers) get its result. Used for cache misses of one page,
 * so a burst of TVs opening a product nobody cached costs one D1 read, not one per TV.
 *
 * Workers forbid sharing I/O objects across requests, and cancel a request's continuations on a
 * promise resolved from another request that has already ended. So:
 * - only plain values cross (strings and numbers, never a Response or a stream);
 * - a follower waits on a promise it created itself, which the leader settles;
 * - the leader settles followers from a chain it hands to its own `ctx.waitUntil`, which keeps its
 *   context alive until the work is done even if its client went away;
 * - a follower never waits past `followForMs`, and never for a failed leader: it then does the
 *   work itself. The worst case is the duplicate read single-flight exists to avoid, never a hang.
 */

type Waiter<T> = { resolve(value: T): void; reject(reason: unknown): void }
type Flight<T> = { startedAt: number; waiters: Waiter<T>[] }

export type FlightResult<T> = { value: T; shared: boolean }

export type SingleFlight<T> = {
  run(key: string, ctx: WaitUntil, work: () => Promise<T>): Promise<FlightResult<T>>
  /** Flights in progress (tests). */
  size(): number
}

type WaitUntil = { waitUntil(promise: Promise<unknown>): void }

export function singleFlight<T>(opts: { followForMs: number }): SingleFlight<T> {
  const flights = new Map<string, Flight<T>>()

  async function follow(flight: Flight<T>, work: () => Promise<T>): Promise<FlightResult<T>> {
    let timer: ReturnType<typeof setTimeout> | null = null
    const leader = new Promise<T>((resolve, reject) => flight.waiters.push({ resolve, reject }))
    const deadline = flight.startedAt + opts.followForMs - Date.now()
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('single-flight: leader too slow')), deadline)
    })
    try {
      return { value: await Promise.race([leader, late]), shared: true }
    } catch {
      return { value: await work(), shared: false }
    } finally {
      if (timer !== null) clearTimeout(timer)
    }
  }

  return {
    run(key, ctx, work) {
      const now = Date.now()
      const current = flights.get(key)
      if (current && now - current.startedAt < opts.followForMs) return follow(current, work)
      const flight: Flight<T> = { startedAt: now, waiters: [] }
      flights.set(key, flight)
      const settled = work().then(
        (value) => {
          for (const w of flight.waiters) w.resolve(value)
          return value
        },
        (err: unknown) => {
          for (const w of flight.waiters) w.reject(err)
          throw err
        },
      )
      const landed = settled.finally(() => {
        if (flights.get(key) === flight) flights.delete(key)
      })
      ctx.waitUntil(landed.catch(() => undefined))
      return landed.then((value) => ({ value, shared: false }))
    },
    size: () => flights.size,
  }
}
