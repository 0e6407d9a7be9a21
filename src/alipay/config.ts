import { ApiError } from '../http/errors'

/**
 * Alipay is configured by two vars (ALIPAY_APP_ID, ALIPAY_GATEWAY_URL) and two secrets
 * (ALIPAY_APP_PRIVATE_KEY, ALIPAY_PUBLIC_KEY); notify_url is PUBLIC_BASE_URL + NOTIFY_PATH.
 */
export type AlipayEnv = {
  ALIPAY_APP_ID?: string
  ALIPAY_GATEWAY_URL?: string
  ALIPAY_APP_PRIVATE_KEY?: string
  ALIPAY_PUBLIC_KEY?: string
  PUBLIC_BASE_URL?: string
  /** How long one gateway call may take (default 5000 ms). */
  ALIPAY_TIMEOUT_MS?: string
}

export type AlipayConfig = {
  appId: string
  gatewayUrl: string
  appPrivateKey: string
  alipayPublicKey: string
  notifyUrl: string
  timeoutMs: number
}

export const NOTIFY_PATH = '/v1/providers/alipay/notify'

const REQUIRED = [
  'ALIPAY_APP_ID',
  'ALIPAY_GATEWAY_URL',
  'ALIPAY_APP_PRIVATE_KEY',
  'ALIPAY_PUBLIC_KEY',
  'PUBLIC_BASE_URL',
] as const

/** Which settings are missing: [] when Alipay is ready. Names only, never values. */
export function missingAlipaySettings(env: AlipayEnv): string[] {
  return REQUIRED.filter((name) => !env[name]?.trim())
}

/**
 * The config, or 503 provider_unavailable when any part is missing (logged by name); the wallet
 * and cards do not depend on it.
 */
export function alipayConfig(env: AlipayEnv): AlipayConfig {
  const missing = missingAlipaySettings(env)
  if (missing.length > 0) {
    console.error(JSON.stringify({ event: 'alipay_not_configured', missing }))
    throw new ApiError('provider_unavailable', 'Alipay is not available on this server')
  }
  const timeout = Number(env.ALIPAY_TIMEOUT_MS ?? '5000')
  return {
    appId: (env.ALIPAY_APP_ID as string).trim(),
    gatewayUrl: (env.ALIPAY_GATEWAY_URL as string).trim(),
    appPrivateKey: env.ALIPAY_APP_PRIVATE_KEY as string,
    alipayPublicKey: env.ALIPAY_PUBLIC_KEY as string,
    notifyUrl: `${(env.PUBLIC_BASE_URL as string).trim().replace(/\/+$/, '')}${NOTIFY_PATH}`,
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 5000,
  }
}
