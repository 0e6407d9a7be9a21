import { ApiError } from './errors'

/**
 * The Worker secrets a deployment needs (API.md, "Configuration and readiness"). A request that
 * needs a missing one answers 503 service_misconfigured, and the log names the secret (never a
 * value); `GET /healthz` reports them all.
 */
export const REQUIRED_SECRETS = ['JWT_KEYS', 'PIN_PEPPER', 'BILLER_FEED_KEY'] as const

/** Shortest value accepted: a secret shorter than this is as good as missing. */
const MIN_LENGTH: Record<string, number> = { BILLER_FEED_KEY: 32 }

export function secretPresent(env: object, name: string): boolean {
  const value = (env as Record<string, unknown>)[name]
  return typeof value === 'string' && value.trim().length >= (MIN_LENGTH[name] ?? 1)
}

/** The secret's value, or 503 service_misconfigured (logged with the secret's name only). */
export function requireSecret(env: object, name: string): string {
  if (!secretPresent(env, name)) throw misconfigured(name)
  return (env as Record<string, string>)[name]
}

export function misconfigured(name: string, why = 'is not configured'): ApiError {
  console.error(JSON.stringify({ event: 'service_misconfigured', secret: name, problem: why }))
  return new ApiError(
    'service_misconfigured',
    'This service is not fully configured; try again later',
  )
}
