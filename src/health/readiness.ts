import { signingKeys } from '../auth/keys'
import { REQUIRED_SECRETS, secretPresent } from '../http/config'

type Check = 'ok' | 'missing' | 'invalid' | 'unreachable'

/** Alipay's keys are needed only where Alipay is switched on (its app id is set). */
const ALIPAY_SECRETS = ['ALIPAY_APP_PRIVATE_KEY', 'ALIPAY_PUBLIC_KEY'] as const

/**
 * One check per dependency for GET /healthz: D1 answers a trivial query, and each secret is
 * present (JWT_KEYS also loads as a signing key set). Names only, never values.
 */
export async function readiness(env: Env): Promise<Record<string, Check>> {
  const checks: Record<string, Check> = {}
  try {
    await env.DB.prepare('SELECT 1').first()
    checks.d1 = 'ok'
  } catch {
    checks.d1 = 'unreachable'
  }
  const vars = env as unknown as Record<string, unknown>
  const alipayOn = typeof vars.ALIPAY_APP_ID === 'string' && vars.ALIPAY_APP_ID.trim() !== ''
  for (const name of [...REQUIRED_SECRETS, ...(alipayOn ? ALIPAY_SECRETS : [])]) {
    checks[name] = secretPresent(env, name) ? 'ok' : 'missing'
  }
  if (checks.JWT_KEYS === 'ok') {
    checks.JWT_KEYS = await signingKeys(env.JWT_KEYS).then(
      () => 'ok' as const,
      () => 'invalid' as const,
    )
  }
  return checks
}
