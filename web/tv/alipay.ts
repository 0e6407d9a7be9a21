import { ApiProblem } from '../shared/api'
import type { Payment } from '../shared/types'
import { tv } from './device'

/**
 * Alipay face-to-face (API.md): a QR the person scans with the Alipay app, beside the phone
 * confirmation. Null whenever it does not apply: a held (deal) payment, a server without Alipay
 * (404/405) or without its keys (503), a gateway that refuses (502). The phone path always stays.
 */
export async function alipayQr(
  p: Payment,
): Promise<{ qr_code: string; expires_at: string } | null> {
  if (p.capture !== 'automatic' || p.status !== 'requires_confirmation') return null
  try {
    return await tv.call<{ qr_code: string; expires_at: string }>(`/v1/payments/${p.id}/alipay`, {
      method: 'POST',
    })
  } catch (err) {
    if (err instanceof ApiProblem) return null
    throw err
  }
}
