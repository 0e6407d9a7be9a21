import { decodeJwt } from 'jose'
import { type ApiProblem, request } from '../shared/api'
import { Session, type TokenAnswer } from '../shared/session'

/**
 * This TV's identity: its OAuth client (the TV maker, RFC 8628 client_id) and, once paired, its
 * device tokens. `?client_id=` in the TV app's URL lets one build serve every registered maker.
 */
export const CLIENT_ID = new URLSearchParams(location.search).get('client_id') ?? 'skyworth-tv'
export const DEVICE_NAME =
  new URLSearchParams(location.search).get('device_name') ?? '客厅电视 Living room TV'

const IDENTITY_KEY = 'tvpay.tv.identity'

let ended: (problem: ApiProblem) => void = () => {}

/** Called when the tokens stop working for good: the TV was unpaired on the phone. */
export function onUnpaired(handler: (problem: ApiProblem) => void) {
  ended = handler
}

export const tv = new Session(
  'tvpay.tv.tokens',
  (refresh_token) =>
    request<TokenAnswer>('/v1/oauth/token', {
      method: 'POST',
      form: true,
      body: { grant_type: 'refresh_token', refresh_token, client_id: CLIENT_ID },
    }),
  (problem) => {
    localStorage.removeItem(IDENTITY_KEY)
    ended(problem)
  },
)

/** Who this TV is, for verifying receipts: `aud` is the device id, `iss` the API's issuer. */
export type Identity = { deviceId: string; issuer: string }

export function identity(): Identity | null {
  try {
    const raw = localStorage.getItem(IDENTITY_KEY)
    if (raw) return JSON.parse(raw) as Identity
    const token = tv.stored?.access_token
    if (!token) return null
    // Our own access token, straight from the token endpoint: read, not verified (the API does).
    const claims = decodeJwt(token)
    if (typeof claims.sub !== 'string' || typeof claims.iss !== 'string') return null
    const found = { deviceId: claims.sub, issuer: claims.iss }
    localStorage.setItem(IDENTITY_KEY, JSON.stringify(found))
    return found
  } catch {
    return null
  }
}

export function forget() {
  tv.clear()
  localStorage.removeItem(IDENTITY_KEY)
}

/** A catalog read: with the device token when paired (a paired home has the bills rail). */
export function read<T>(path: string, signal?: AbortSignal): Promise<T> {
  return tv.signedIn ? tv.call<T>(path, { signal }) : request<T>(path, { signal })
}
