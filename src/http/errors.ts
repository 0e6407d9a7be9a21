import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * The closed set of machine-readable error codes and the HTTP status each maps to.
 * Add a code here (and only here) before throwing it.
 */
export const ERROR_STATUS = {
  // generic
  validation_failed: 400,
  malformed_json: 400,
  invalid_cursor: 400,
  bad_request: 400,
  unauthorized: 401,
  invalid_token: 401,
  forbidden: 403,
  user_token_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  admin_disabled: 503,
  service_misconfigured: 503,
  // auth and pairing
  invalid_credentials: 401,
  phone_taken: 409,
  invalid_password: 403,
  // catalog
  unknown_category: 400,
  category_too_deep: 400,
  // money
  idempotency_key_reuse: 422,
  idempotency_in_progress: 409,
  idempotency_key_invalid: 400,
  card_number_not_allowed: 400,
  insufficient_funds: 402,
  invalid_pin: 403,
  pin_not_set: 409,
  pin_locked: 423,
  payment_not_confirmable: 409,
  payment_expired: 409,
  invalid_transition: 409,
  payment_declined: 402,
  provider_unavailable: 503,
  provider_error: 502,
  provider_unsupported: 409,
  refund_exceeds_amount: 409,
  shipping_address_required: 400,
  // orders and deals
  out_of_stock: 409,
  sold_out: 409,
  limit_exceeded: 409,
  deal_not_active: 409,
  team_full: 409,
  team_closed: 409,
  already_in_team: 409,
  deal_unavailable: 503,
  // bills
  invalid_account_number: 400,
  bill_already_paid: 409,
  amount_not_allowed: 400,
  bill_not_payable: 409,
  invalid_signature: 401,
  unsafe_pattern: 400,
  signature_expired: 401,
  signature_replayed: 401,
  bill_changed: 409,
  bill_payment_in_progress: 409,
  account_already_linked: 409,
  unknown_biller: 400,
  // household channel
  invalid_ticket: 401,
  upgrade_required: 426,
} as const satisfies Record<string, ContentfulStatusCode>

export type ErrorCode = keyof typeof ERROR_STATUS

export type FieldError = { path: string; message: string }

/** Thrown anywhere; rendered once, by the app's onError, as application/problem+json. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly extra: Record<string, unknown> & { errors?: FieldError[] } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? code)
    this.status = ERROR_STATUS[code]
  }
}

const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  423: 'Locked',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
}

export function problemBody(err: ApiError, requestId?: string) {
  return {
    type: `https://tvpay.example/problems/${err.code}`,
    title: TITLES[err.status] ?? 'Error',
    status: err.status,
    code: err.code,
    ...(err.detail ? { detail: err.detail } : {}),
    ...err.extra,
    ...(requestId ? { request_id: requestId } : {}),
  }
}

export function problemResponse(err: ApiError, requestId?: string): Response {
  const headers = new Headers(err.headers)
  headers.set('content-type', 'application/problem+json')
  if (requestId) headers.set('x-request-id', requestId)
  return new Response(JSON.stringify(problemBody(err, requestId)), { status: err.status, headers })
}
