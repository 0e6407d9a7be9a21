import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** RFC 6749 §5.2 and RFC 8628 §3.5 error codes, answered as `{ error, error_description }`. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token'
  | 'rate_limited'
  | 'server_error'
  /** RFC 6749 §4.1.2.1: the server cannot serve now (a missing secret: 503). */
  | 'temporarily_unavailable'

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly extra: Record<string, unknown> = {},
    readonly status: ContentfulStatusCode = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description)
  }
}

export function oauthErrorResponse(err: OAuthError, requestId?: string): Response {
  const headers = new Headers(err.headers)
  headers.set('content-type', 'application/json')
  headers.set('cache-control', 'no-store')
  if (requestId) headers.set('x-request-id', requestId)
  const body = { error: err.error, error_description: err.description, ...err.extra }
  return new Response(JSON.stringify(body), { status: err.status, headers })
}
