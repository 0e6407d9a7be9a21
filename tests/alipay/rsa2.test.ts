import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
  alipayTimestamp,
  fenOf,
  notifySigningStrings,
  requestSigningString,
  responseSignatureCandidates,
  signedResponseText,
  yuan,
} from '../../src/alipay/protocol'
import {
  importPrivateKey,
  importPublicKey,
  Rsa2KeyError,
  signRsa2,
  verifyRsa2,
} from '../../src/alipay/rsa2'
import type { AlipayTestContext } from '../../sandbox/alipay/test-setup'

const ctx = JSON.parse(env.ALIPAY_TEST) as AlipayTestContext

describe('RSA2 against node:crypto (vectors signed at test setup, not by this module)', () => {
  const privateForms = [
    'privatePkcs8Pem',
    'privatePkcs1Pem',
    'privatePkcs8Bare',
    'privatePkcs1Bare',
  ]
  for (const form of privateForms) {
    it(`signs byte for byte as node:crypto does, with the key as ${form}`, async () => {
      const key = await importPrivateKey(ctx.app[form as keyof typeof ctx.app])
      for (const v of ctx.vectors) expect(await signRsa2(key, v.content)).toBe(v.signature)
    })
  }

  for (const form of ['publicPem', 'publicBare'] as const) {
    it(`verifies node:crypto's signatures with the public key as ${form}`, async () => {
      const key = await importPublicKey(ctx.app[form])
      for (const v of ctx.vectors) expect(await verifyRsa2(key, v.content, v.signature)).toBe(true)
    })
  }

  it('refuses a changed text, a changed signature, another key and non-base64', async () => {
    const key = await importPublicKey(ctx.app.publicPem)
    const other = await importPublicKey(ctx.alipay.publicPem)
    const [, v] = ctx.vectors
    expect(await verifyRsa2(key, `${v.content} `, v.signature)).toBe(false)
    const c = v.signature[10]
    const changed = `${v.signature.slice(0, 10)}${c === 'A' ? 'B' : 'A'}${v.signature.slice(11)}`
    expect(await verifyRsa2(key, v.content, changed)).toBe(false)
    expect(await verifyRsa2(other, v.content, v.signature)).toBe(false)
    expect(await verifyRsa2(key, v.content, 'not base64!')).toBe(false)
    expect(await verifyRsa2(key, v.content, '')).toBe(false)
  })

  it('a key that is not one is a key error (a configuration problem)', async () => {
    await expect(importPrivateKey('hello')).rejects.toBeInstanceOf(Rsa2KeyError)
    await expect(importPublicKey(ctx.app.privatePkcs8Bare)).rejects.toBeInstanceOf(Rsa2KeyError)
    await expect(importPrivateKey(btoa('0'.repeat(100)))).rejects.toBeInstanceOf(Rsa2KeyError)
  })
})

describe('signing strings (the rules of the SDKs)', () => {
  it('request: every parameter but sign, empty dropped, sorted, raw values', () => {
    const text = requestSigningString({
      timestamp: '2026-12-05 18:30:00',
      sign: 'ignored',
      app_id: '2021000000000001',
      notify_url: 'https://tvpay.example/v1/providers/alipay/notify?a=1&b=2',
      biz_content: '{"subject":"小米电视 & 支架","total_amount":"0.10"}',
      method: 'alipay.trade.precreate',
      charset: 'utf-8',
      empty: '',
      missing: undefined,
      sign_type: 'RSA2',
      version: '1.0',
      format: 'JSON',
    })
    expect(text).toBe(
      'app_id=2021000000000001&biz_content={"subject":"小米电视 & 支架","total_amount":"0.10"}' +
        '&charset=utf-8&format=JSON&method=alipay.trade.precreate' +
        '&notify_url=https://tvpay.example/v1/providers/alipay/notify?a=1&b=2' +
        '&sign_type=RSA2&timestamp=2026-12-05 18:30:00&version=1.0',
    )
  })

  it('sorts by UTF-16 code units, as Java sorts strings (upper case before lower, _ between)', () => {
    expect(requestSigningString({ b: '1', B: '2', a_b: '3', ab: '4', a: '5' })).toBe(
      'B=2&a=5&a_b=3&ab=4&b=1',
    )
  })

  it('notify: the fields less sign and sign_type; both readings when a field is empty', () => {
    const fields = { trade_status: 'TRADE_SUCCESS', sign_type: 'RSA2', sign: 'x', app_id: '1' }
    expect(notifySigningStrings(fields)).toEqual(['app_id=1&trade_status=TRADE_SUCCESS'])
    expect(notifySigningStrings({ ...fields, body: '' })).toEqual([
      'app_id=1&body=&trade_status=TRADE_SUCCESS',
      'app_id=1&trade_status=TRADE_SUCCESS',
    ])
  })
})

describe('the signed text of a synchronous answer', () => {
  const method = 'alipay.trade.precreate'

  it('is the raw object text: escaped slashes and UTF-8 kept, not re-serialized', () => {
    const inner =
      '{"code":"10000","msg":"Success","qr_code":"https:\\/\\/qr.alipay.com\\/x","s":"小米"}'
    const raw = `{"alipay_trade_precreate_response":${inner},"sign":"c2ln"}`
    expect(signedResponseText(raw, method)).toEqual({ text: inner, sign: 'c2ln' })
    expect(JSON.stringify(JSON.parse(inner))).not.toBe(inner)
  })

  it('finds the object wherever sign sits, with braces and quotes inside strings', () => {
    const inner = '{ "code" : "10000", "msg":"a } \\" { b", "nested":{"x":{}} }'
    const raw = `{"sign":"c2ln",\n  "alipay_trade_precreate_response" :  ${inner}\n}`
    expect(signedResponseText(raw, method)).toEqual({ text: inner, sign: 'c2ln' })
  })

  it('refuses a body with the response key twice, none, or no object after it', () => {
    const inner = '{"code":"10000"}'
    const twice = `{"alipay_trade_precreate_response":${inner},"sign":"x","y":{"alipay_trade_precreate_response":{}}}`
    expect(signedResponseText(twice, method)).toBeNull()
    expect(signedResponseText('{"error_response":{"code":"40002"}}', method)).toBeNull()
    expect(signedResponseText('{"alipay_trade_precreate_response":"x"}', method)).toBeNull()
    expect(signedResponseText('{"alipay_trade_precreate_response":{"code":', method)).toBeNull()
  })

  it('has no sign when the answer carries none', () => {
    const raw = '{"alipay_trade_precreate_response":{"code":"40002"}}'
    expect(signedResponseText(raw, method)?.sign).toBeUndefined()
  })

  it('offers the unescaped text as a second candidate, as the Java SDK retries', () => {
    expect(responseSignatureCandidates('{"a":"b"}')).toEqual(['{"a":"b"}'])
    expect(responseSignatureCandidates('{"a":"https:\\/\\/x"}')).toEqual([
      '{"a":"https:\\/\\/x"}',
      '{"a":"https://x"}',
    ])
  })
})

describe('timestamps and amounts', () => {
  it('timestamp is GMT+8 yyyy-MM-dd HH:mm:ss', () => {
    expect(alipayTimestamp(Date.UTC(2026, 11, 5, 16, 30, 5, 999))).toBe('2026-12-06 00:30:05')
    expect(alipayTimestamp(Date.UTC(2026, 0, 1, 0, 0, 0))).toBe('2026-01-01 08:00:00')
  })

  it('fen to yuan with two decimals and back, strictly', () => {
    expect([1, 10, 100, 129900, 5].map(yuan)).toEqual(['0.01', '0.10', '1.00', '1299.00', '0.05'])
    expect(() => yuan(1.5)).toThrow()
    expect(['0.01', '1299.00', '1299.5', '1299', '0.10'].map(fenOf)).toEqual([
      1, 129900, 129950, 129900, 10,
    ])
    for (const bad of ['', '-1.00', '1.001', '1e3', '01.00', ' 1.00', '1,00', undefined]) {
      expect(fenOf(bad)).toBeNull()
    }
  })
})
