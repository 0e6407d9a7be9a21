import type { ContentfulStatusCode } from 'hono/utils/http-status'
import {
  DEFAULT_LANGUAGE,
  ERROR_TEXT,
  FIELD_MESSAGES_ZH,
  type Language,
  specificDetail,
} from './error-text'

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

/** Text an error carries for one language beyond the table (error-text.ts), e.g. zod's issues. */
export type LocalizedText = { detail?: string; errors?: FieldError[] }

/**
 * The codes whose answer says when to try again (Retry-After), as /openapi.json documents them.
 * An ApiError gets the header only through tryAgainIn(), which takes no other code.
 */
export const RETRY_AFTER_CODES = [
  'rate_limited',
  'idempotency_in_progress',
  'pin_locked',
  'deal_unavailable',
] as const satisfies readonly ErrorCode[]

export type RetryAfterCode = (typeof RETRY_AFTER_CODES)[number]

type ExtraHeaders = Record<string, string> & { 'retry-after'?: never }

/**
 * Thrown anywhere; rendered once, by the app's onError, as application/problem+json in the
 * request's language. `detail` is English and specific to where it is thrown.
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode
  readonly localized: Partial<Record<Language, LocalizedText>> = {}
  /** Sent with the problem; Retry-After only through tryAgainIn(). */
  readonly headers: Record<string, string>
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly extra: Record<string, unknown> & { errors?: FieldError[] } = {},
    headers: ExtraHeaders = {},
  ) {
    super(detail ?? code)
    this.headers = { ...headers }
    this.status = ERROR_STATUS[code]
  }

  /** Adds the detail (and field errors) for another language. */
  in(language: Language, text: LocalizedText): this {
    this.localized[language] = text
    return this
  }
}

/** An answer that says when to try again: Retry-After in whole seconds, at least 1. */
export function tryAgainIn(
  seconds: number,
  code: RetryAfterCode,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: ExtraHeaders = {},
): ApiError {
  const err = new ApiError(code, detail, extra, headers)
  err.headers['retry-after'] = String(Math.max(1, Math.ceil(seconds)))
  return err
}

export type ProblemContext = {
  requestId?: string
  language?: Language
  /** PUBLIC_BASE_URL: problem `type` URIs point at its /docs/problems page. */
  baseUrl?: string
}

export function problemType(code: ErrorCode, baseUrl = ''): string {
  return `${baseUrl.trim().replace(/\/+$/, '')}/docs/problems#${code}`
}

export function problemBody(err: ApiError, ctx: ProblemContext = {}) {
  const language = ctx.language ?? DEFAULT_LANGUAGE
  const text = ERROR_TEXT[err.code][language]
  const own = err.localized[language]
  const detail =
    own?.detail ??
    (language === 'en' ? err.detail : undefined) ??
    specificDetail(err.code, language, err.extra) ??
    text.detail
  const errors = own?.errors ?? localizedFieldErrors(err.extra.errors, language)
  return {
    type: problemType(err.code, ctx.baseUrl),
    title: text.title,
    status: err.status,
    code: err.code,
    detail,
    ...err.extra,
    ...(errors ? { errors } : {}),
    ...(ctx.requestId ? { request_id: ctx.requestId } : {}),
  }
}

function localizedFieldErrors(errors: FieldError[] | undefined, language: Language) {
  if (!errors || language === 'en') return errors
  return errors.map((e) => ({ ...e, message: FIELD_MESSAGES_ZH[e.message] ?? e.message }))
}

/** The answer, in the request's language: Content-Language names it, Vary says it may differ. */
export function problemResponse(err: ApiError, ctx: ProblemContext = {}): Response {
  const language = ctx.language ?? DEFAULT_LANGUAGE
  const headers = new Headers(err.headers)
  headers.set('content-type', 'application/problem+json')
  headers.set('content-language', language)
  headers.append('vary', 'Accept-Language')
  if (ctx.requestId) headers.set('x-request-id', ctx.requestId)
  return new Response(JSON.stringify(problemBody(err, { ...ctx, language })), {
    status: err.status,
    headers,
  })
}
