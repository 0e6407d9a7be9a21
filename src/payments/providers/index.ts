import { ApiError } from '../../http/errors'
import { SandboxProvider } from './sandbox'
import { ProviderTimeout, type PaymentProvider, type ProviderOutcome } from './types'

export const PROVIDERS = ['sandbox'] as const
export type ProviderName = (typeof PROVIDERS)[number]

export function providerFor(env: Env, name: string): PaymentProvider {
  if (name === 'sandbox') return new SandboxProvider(env.DB)
  throw new ApiError('validation_failed', `Unknown payment provider '${name}'`)
}

const ATTEMPTS = 3

/**
 * Calls the gateway, retrying timeouts with the same idempotency key (the gateway answers a retry
 * with the first result). Still timing out after the last attempt: 503 provider_unavailable, and
 * the caller has written nothing, so the client may retry the whole request.
 */
export async function withRetries(call: () => Promise<ProviderOutcome>): Promise<ProviderOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (err) {
      if (!(err instanceof ProviderTimeout)) throw err
      if (attempt >= ATTEMPTS) {
        throw new ApiError('provider_unavailable', 'The card gateway did not answer; try again')
      }
      await new Promise((r) => setTimeout(r, 50 * attempt))
    }
  }
}

/** Provider refs are stored as `<provider>:<ref>` on the payment. */
export function splitProviderRef(stored: string): { provider: string; ref: string } {
  const i = stored.indexOf(':')
  return { provider: stored.slice(0, i), ref: stored.slice(i + 1) }
}
