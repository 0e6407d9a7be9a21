import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { alipayConfig, missingAlipaySettings } from '../../src/alipay/config'
import { AlipayGatewayError, callAlipay } from '../../src/alipay/gateway'
import { alipayTest, fault, sandbox } from './helpers'

// The real client against the sandbox: RSA2 by WebCrypto on this side, node:crypto on the other.
const config = alipayConfig(env)
let n = 0
const tradeNo = () => `gw_${Date.now()}_${n++}`

function precreate(outTradeNo: string, amount = '12.34', now = Date.now()) {
  return callAlipay(
    config,
    'alipay.trade.precreate',
    {
      out_trade_no: outTradeNo,
      total_amount: amount,
      subject: '测试 / test',
      timeout_express: '10m',
    },
    { notify: true, now },
  )
}

describe('gateway client against the sandbox', () => {
  it('precreate answers a QR code (signed, verified), the same again for the same trade', async () => {
    const no = tradeNo()
    const first = await precreate(no)
    expect(first).toMatchObject({ code: '10000', out_trade_no: no })
    expect(first.qr_code).toMatch(new RegExp(`^${alipayTest.sandboxUrl}/qr/`))
    expect((await precreate(no)).qr_code).toBe(first.qr_code)
    expect(await precreate(no, '12.35')).toMatchObject({
      code: '40004',
      sub_code: 'ACQ.CONTEXT_INCONSISTENT',
    })
    const trade = await sandbox(`/sandbox/trades/${no}`)
    expect(trade.notify_url).toBe(`${env.PUBLIC_BASE_URL}/v1/providers/alipay/notify`)
  })

  it('query, refund and close follow the trade at the gateway', async () => {
    const no = tradeNo()
    const { qr_code } = await precreate(no, '1.00')
    const now = Date.now()
    const query = () => callAlipay(config, 'alipay.trade.query', { out_trade_no: no }, { now })
    expect(await query()).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' })
    await sandbox('/sandbox/pay', { qr_code, notify: 'none' })
    expect(await query()).toMatchObject({ trade_status: 'TRADE_SUCCESS', total_amount: '1.00' })

    const refund = (amount: string, request: string) =>
      callAlipay(
        config,
        'alipay.trade.refund',
        { out_trade_no: no, refund_amount: amount, out_request_no: request },
        { now },
      )
    expect(await refund('0.30', 'r1')).toMatchObject({ fund_change: 'Y', refund_fee: '0.30' })
    expect(await refund('0.30', 'r1')).toMatchObject({ fund_change: 'N', refund_fee: '0.30' })
    expect(await refund('0.40', 'r1')).toMatchObject({ sub_code: 'ACQ.DISCORDANT_REPEAT_REQUEST' })
    expect(await refund('0.71', 'r2')).toMatchObject({ sub_code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL' })
    const close = await callAlipay(config, 'alipay.trade.close', { out_trade_no: no }, { now })
    expect(close).toMatchObject({ sub_code: 'ACQ.TRADE_STATUS_ERROR' })
  })

  it('the sandbox refuses a request signed with another key, or with a UTC timestamp', async () => {
    const wrongKey = { ...config, appPrivateKey: alipayTest.alipay.privatePkcs8Pem }
    const answer = await callAlipay(
      wrongKey,
      'alipay.trade.query',
      { out_trade_no: tradeNo() },
      { now: Date.now() },
    )
    expect(answer).toMatchObject({ code: '40002', sub_code: 'isv.invalid-signature' })
    // Sent as if GMT+8 were UTC: the gateway reads it 8 hours off.
    const utc = await precreate(tradeNo(), '1.00', Date.now() - 8 * 3600_000)
    expect(utc).toMatchObject({ code: '40002', sub_code: 'isv.invalid-timestamp' })
  })

  it('an answer that does not verify is a gateway error, never data', async () => {
    const wrongAlipayKey = { ...config, alipayPublicKey: alipayTest.app.publicPem }
    await expect(
      callAlipay(wrongAlipayKey, 'alipay.trade.query', { out_trade_no: 'x' }, { now: Date.now() }),
    ).rejects.toBeInstanceOf(AlipayGatewayError)
    for (const kind of ['bad_signature', 'tampered', 'http_500', 'drop']) {
      const no = tradeNo()
      await fault(no, kind)
      await expect(precreate(no)).rejects.toBeInstanceOf(AlipayGatewayError)
      // The fault was for one call: the next one goes through.
      await expect(precreate(no)).resolves.toMatchObject({ code: '10000' })
    }
  })

  it('a signed system error is an answer (code 20000), for the caller to retry', async () => {
    const no = tradeNo()
    await fault(no, 'system_error')
    await expect(precreate(no)).resolves.toMatchObject({ code: '20000' })
  })
})

describe('configuration', () => {
  it('names what is missing, and alipayConfig is then 503 provider_unavailable', () => {
    expect(missingAlipaySettings(env)).toEqual([])
    const partial = { ...env, ALIPAY_PUBLIC_KEY: '', ALIPAY_APP_ID: undefined }
    expect(missingAlipaySettings(partial)).toEqual(['ALIPAY_APP_ID', 'ALIPAY_PUBLIC_KEY'])
    expect(() => alipayConfig(partial)).toThrow(
      expect.objectContaining({ code: 'provider_unavailable', status: 503 }),
    )
  })

  it('a key that does not import is 503 provider_unavailable too', async () => {
    const broken = { ...config, appPrivateKey: 'not-a-key' }
    await expect(
      callAlipay(broken, 'alipay.trade.query', { out_trade_no: 'x' }, { now: Date.now() }),
    ).rejects.toMatchObject({ code: 'provider_unavailable' })
  })
})
