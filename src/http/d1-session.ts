import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'

/**
 * D1 read replication through the Sessions API. Every request runs its queries in one D1 session,
 * so they are sequentially consistent (each sees at least what the previous one saw), and the
 * session's bookmark travels to the client and back in `x-d1-bookmark`:
 * - a GET or HEAD may start on any replica ('first-unconstrained'), unless it sends a bookmark:
 *   then it starts on a replica at least that fresh (read-your-writes across requests, e.g. the
 *   TV reading a payment the phone just confirmed through the primary);
 * - any other method starts at the primary ('first-primary'): its pre-reads see the latest rows
 *   before it writes, and the primary is at least as fresh as any bookmark;
 * - the response carries the session's latest bookmark (or the one sent, when the request made no
 *   query), to send with the next request.
 * A header that is not a well-formed bookmark is ignored (the request runs as if none was sent),
 * never an error: a stale app version or a proxy must not be able to break reads.
 *
 * Handlers keep using `env.DB`: the middleware hands them an env whose DB is the session. The
 * session object only has `prepare` and `batch` (workers-types' D1DatabaseSession), which is all
 * the Worker uses; `exec` and `dump` refuse loudly rather than silently bypass the session.
 * Cron and queue consumers use the binding directly: the primary. A Durable Object that writes
 * for a request (a deal's join) does so through its own session and hands the bookmark back;
 * `readAtLeast` makes it the request's.
 */

export const BOOKMARK_HEADER = 'x-d1-bookmark'

/**
 * D1 bookmarks are four dash-separated hex groups, e.g.
 * `00000001-00000002-00004e2f-0a83ea2fceebc654de0640c422be4653` (lexicographically ordered).
 */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/

export function validBookmark(value: string | null | undefined): string | null {
  const v = value?.trim().toLowerCase()
  return v && BOOKMARK.test(v) ? v : null
}

/** The later of two bookmarks (they sort lexicographically, oldest first). */
function later(a: string | null, b: string | null): string | null {
  if (a === null) return b
  if (b === null) return a
  return a < b ? b : a
}

/**
 * A D1Database whose queries run in a session. `atPrimary()` continues at the primary (for a read
 * that must see a write another request just made, e.g. after a wake-up); the bookmark reported
 * is the latest of every session this request used.
 */
export class SessionD1 implements D1Database {
  private session: D1DatabaseSession
  private earlier: string | null = null

  constructor(
    private readonly binding: D1Database,
    constraintOrBookmark: string,
  ) {
    this.session = binding.withSession(constraintOrBookmark)
  }

  prepare(query: string): D1PreparedStatement {
    return this.session.prepare(query)
  }

  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    return this.session.batch<T>(statements)
  }

  exec(): Promise<D1ExecResult> {
    return Promise.reject(new Error('exec() bypasses the request session; use prepare()/batch()'))
  }

  dump(): Promise<ArrayBuffer> {
    return Promise.reject(new Error('dump() is not available on a request session'))
  }

  /** Nested sessions would lose this request's consistency: there is one per request. */
  withSession(): D1DatabaseSession {
    return this.session
  }

  /**
   * A write committed through another session (a Durable Object's): this request's next reads
   * are at least that fresh, and so is the bookmark it answers.
   */
  atLeast(bookmark: string): void {
    const b = later(this.bookmark(), bookmark)!
    this.earlier = b
    this.session = this.binding.withSession(b)
  }

  atPrimary(): void {
    this.earlier = this.bookmark()
    this.session = this.binding.withSession('first-primary')
  }

  bookmark(): string | null {
    return later(this.earlier, this.session.getBookmark())
  }
}

/** Makes a bookmark from elsewhere this request's own (no-op outside a request session). */
export function readAtLeast(db: D1Database, bookmark: string | null): void {
  const b = validBookmark(bookmark)
  if (b && db instanceof SessionD1) db.atLeast(b)
}

/** After this, the request's next queries read the primary (no-op outside a request session). */
export function readPrimaryFromNowOn(db: D1Database): void {
  if (db instanceof SessionD1) db.atPrimary()
}

export const d1Session = createMiddleware<AppEnv>(async function d1Session(c, next) {
  const readOnly = c.req.method === 'GET' || c.req.method === 'HEAD'
  const sent = validBookmark(c.req.header(BOOKMARK_HEADER))
  const start = readOnly ? (sent ?? 'first-unconstrained') : 'first-primary'
  const db = new SessionD1(c.env.DB, start)
  c.env = { ...c.env, DB: db }
  await next()
  const bookmark = later(sent, db.bookmark())
  if (!bookmark) return
  try {
    c.res.headers.set(BOOKMARK_HEADER, bookmark)
  } catch {
    // Headers of a response taken from elsewhere (a cache) are immutable: copy it first.
    c.res = new Response(c.res.body, c.res)
    c.res.headers.set(BOOKMARK_HEADER, bookmark)
  }
})
