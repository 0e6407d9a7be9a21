import { ApiProblem, type RequestOptions, request } from './api'

export type TokenAnswer = { access_token: string; refresh_token: string; expires_in: number }
type Stored = { access_token: string; refresh_token: string; expires_at: number }

/** Refresh this long before the access token runs out, so a request never carries a dead one. */
const EARLY_MS = 60_000

/**
 * Tokens kept in localStorage and refreshed when due or when the API answers 401. Refresh tokens
 * rotate and a reused one revokes its whole family (API.md), so refreshes are single-flight: every
 * caller waits on the same one.
 */
export class Session {
  private refreshing: Promise<boolean> | null = null

  constructor(
    private readonly key: string,
    private readonly refresher: (refreshToken: string) => Promise<TokenAnswer>,
    /** Called once when the tokens stop working for good (unpaired TV, ended session). */
    private readonly onEnded: (problem: ApiProblem) => void = () => {},
  ) {}

  get stored(): Stored | null {
    try {
      const raw = localStorage.getItem(this.key)
      return raw ? (JSON.parse(raw) as Stored) : null
    } catch {
      return null
    }
  }

  get signedIn(): boolean {
    return this.stored !== null
  }

  save(answer: TokenAnswer): void {
    const stored: Stored = {
      access_token: answer.access_token,
      refresh_token: answer.refresh_token,
      expires_at: Date.now() + answer.expires_in * 1000,
    }
    localStorage.setItem(this.key, JSON.stringify(stored))
  }

  clear(): void {
    localStorage.removeItem(this.key)
  }

  /** A request with this session's access token; refreshes and retries once on 401. */
  async call<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    let stored = this.stored
    if (!stored) throw new ApiProblem(401, 'signed_out', 'Not signed in')
    if (stored.expires_at - EARLY_MS < Date.now()) {
      await this.refresh()
      stored = this.stored
      if (!stored) throw new ApiProblem(401, 'signed_out', 'Not signed in')
    }
    try {
      return await request<T>(path, { ...opts, token: stored.access_token })
    } catch (err) {
      if (!(err instanceof ApiProblem) || err.status !== 401) throw err
      if (!(await this.refresh(err))) throw err
      return request<T>(path, { ...opts, token: this.stored?.access_token })
    }
  }

  /** True when fresh tokens were stored; false (and the session ended) when refresh was refused. */
  refresh(cause?: ApiProblem): Promise<boolean> {
    this.refreshing ??= this.doRefresh(cause).finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }

  private async doRefresh(cause?: ApiProblem): Promise<boolean> {
    const stored = this.stored
    if (!stored) return false
    try {
      this.save(await this.refresher(stored.refresh_token))
      return true
    } catch (err) {
      // A network failure is not the end of the session; a refused refresh token is.
      if (err instanceof ApiProblem && err.status >= 400 && err.status < 500) {
        this.clear()
        this.onEnded(cause ?? err)
        return false
      }
      throw err
    }
  }
}
