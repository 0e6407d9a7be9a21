import { alipayConfig } from '../../alipay/config'
import { AlipayGatewayError, callAlipay, isSuccess, providerError } from '../../alipay/gateway'
import { yuan } from '../../alipay/protocol'
import type { Principal } from '../../env'
import { ApiError } from '../../http/errors'
import type { Purposes } from '../purposes'
import { canAct, readPaymentFor } from '../queries'
import { findTrade } from './trades'

export type AlipayQr = { qr_code: string; out_trade_no: string; expires_at: string }

/**
 * POST /v1/payments/{id}/alipay: the QR code for the TV (alipay.trade.precreate, out_trade_no =
 * the payment's id, valid until the payment expires). Asked again while it is valid: the same
 * code, created false. Nothing about the payment changes here; the phone can still confirm it.
 */
export async function startAlipay(
  env: Env,
  purposes: Purposes,
  principal: Principal,
  paymentId: string,
  now: number,
): Promise<{ qr: AlipayQr; created: boolean }> {
  const config = alipayConfig(env)
  const payment = await readPaymentFor(env, purposes, principal, paymentId, now, canAct)
  if (payment.capture !== 'automatic') {
    throw new ApiError('provider_unsupported', 'Alipay face-to-face cannot hold money for a deal')
  }
  if (payment.status === 'expired') {
    throw new ApiError('payment_expired', 'This payment expired; start a new one from the TV')
  }
  if (payment.status !== 'requires_confirmation') {
    throw new ApiError('payment_not_confirmable', `This payment is already ${payment.status}`, {
      payment_status: payment.status,
    })
  }
  const known = await findTrade(env.DB, payment.id)
  if (known && known.status === 'open' && known.qr_expires_at > now) {
    return { qr: view(known.out_trade_no, known.qr_code, known.qr_expires_at), created: false }
  }
  // Whole minutes (Alipay takes no fractions), at least one; a payment made after the payment
  // itself expired is refunded (notify.ts).
  const minutes = Math.max(1, Math.floor((payment.expiresAt - now) / 60_000))
  let answer: Awaited<ReturnType<typeof callAlipay>>
  try {
    answer = await callAlipay(
      config,
      'alipay.trade.precreate',
      {
        out_trade_no: payment.id,
        total_amount: yuan(payment.amount),
        subject: `tvpay ${payment.purpose.type} ${payment.purpose.id}`,
        qr_code_timeout_express: `${minutes}m`,
      },
      { notify: true, now },
    )
  } catch (err) {
    if (!(err instanceof AlipayGatewayError)) throw err
    console.error(
      JSON.stringify({ event: 'alipay_precreate_failed', payment: payment.id, error: err.message }),
    )
    throw providerError('Alipay did not answer; confirm on the phone instead')
  }
  if (!isSuccess(answer) || typeof answer.qr_code !== 'string') {
    const detail = `Alipay refused the QR code (${answer.sub_code ?? answer.code}); confirm on the phone instead`
    throw providerError(detail)
  }
  const expiresAt = Math.min(payment.expiresAt, now + minutes * 60_000)
  await env.DB.prepare(
    `INSERT INTO alipay_trades
       (out_trade_no, payment_id, amount, qr_code, qr_expires_at, status, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'open', ?, ?)
     ON CONFLICT (out_trade_no) DO UPDATE SET qr_code = excluded.qr_code,
       qr_expires_at = excluded.qr_expires_at, updated_at = excluded.updated_at`,
  )
    .bind(payment.id, payment.id, payment.amount, answer.qr_code, expiresAt, now, now)
    .run()
  return { qr: view(payment.id, answer.qr_code, expiresAt), created: !known }
}

function view(outTradeNo: string, qrCode: string, expiresAt: number): AlipayQr {
  return {
    qr_code: qrCode,
    out_trade_no: outTradeNo,
    expires_at: new Date(expiresAt).toISOString(),
  }
}
