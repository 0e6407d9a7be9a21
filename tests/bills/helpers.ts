import { env } from 'cloudflare:test'
import { hashPin } from '../../src/auth/pin'
import { ADMIN, call } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'

export const PIN = '135790'

/**
 * The feed key is a Worker secret that vitest.config.ts does not bind (yet); the Worker reads the
 * same `env` object the tests import, so each bills test file sets it here.
 */
export const TEST_FEED_KEY = 'test-biller-feed-key-0123456789abcdefghijklmnopqrstuvwxyz'

export function useFeedKey() {
  ;(env as { BILLER_FEED_KEY?: string }).BILLER_FEED_KEY = TEST_FEED_KEY
}

let seq = 0

export async function createBiller(
  opts: {
    pattern?: string
    rules?: Record<string, unknown>
    name?: string
    category?: string
  } = {},
) {
  const res = await call('POST', '/v1/admin/billers', {
    headers: ADMIN,
    body: {
      name: opts.name ?? `Test Power ${++seq}`,
      category: opts.category ?? 'electricity',
      account_pattern: opts.pattern ?? '^\\d{10}$',
      ...(opts.rules ? { rules: opts.rules } : {}),
    },
  })
  if (res.status !== 201) throw new Error(`create biller failed: ${res.status} ${res.text}`)
  return { biller: res.body.biller, secret: res.body.feed_secret as string }
}

export async function signature(
  secrets: string | string[],
  payload: string,
  t = Math.floor(Date.now() / 1000),
): Promise<string> {
  const list = Array.isArray(secrets) ? secrets : [secrets]
  const v1 = await Promise.all(list.map(async (s) => `v1=${await hmacHex(s, `${t}.${payload}`)}`))
  return [`t=${t}`, ...v1].join(',')
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder()
  const key = await crypto.subtle.importKey(
    'raw',
    enc.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(message)))
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('')
}

export async function postFeed(
  billerId: string,
  secret: string | string[],
  body: unknown,
  opts: { t?: number; rawBody?: string; signatureHeader?: string } = {},
) {
  const raw = opts.rawBody ?? JSON.stringify(body)
  return call('POST', '/v1/biller-feed/bills', {
    rawBody: raw,
    headers: {
      'content-type': 'application/json',
      'x-biller-id': billerId,
      'x-signature': opts.signatureHeader ?? (await signature(secret, raw, opts.t)),
    },
  })
}

export async function getPayments(
  billerId: string,
  secret: string,
  query: string,
  opts: { t?: number } = {},
) {
  return call('GET', `/v1/biller-feed/payments?${query}`, {
    headers: { 'x-biller-id': billerId, 'x-signature': await signature(secret, query, opts.t) },
  })
}

let refSeq = 0

export function billLine(account: string, over: Record<string, unknown> = {}) {
  return {
    account_number: account,
    bill_ref: `R-${Date.now().toString(36)}-${++refSeq}`,
    period: '2026-04',
    amount_due: { amount: 12850, currency: 'CNY' },
    due_date: '2099-12-31',
    ...over,
  }
}

let accountSeq = 0

/** A fresh 10-digit account number. */
export function accountNumber(): string {
  return `${Date.now() % 1e6}`.padStart(6, '0') + String(++accountSeq % 10_000).padStart(4, '0')
}

/** A person with a PIN, a paired TV, optionally money in the wallet. */
export async function member(opts: { balance?: number } = {}) {
  const user = await createTestUser()
  await env.DB.prepare('UPDATE users SET pin_hash = ? WHERE id = ?')
    .bind(await hashPin(env, PIN), user.id)
    .run()
  const tv = await createTestDevice(user.id)
  if (opts.balance) {
    const res = await call('POST', `/v1/admin/wallets/${user.id}/credits`, {
      headers: ADMIN,
      body: { amount: { amount: opts.balance, currency: 'CNY' }, reason: 'bills test top-up' },
    })
    if (res.status !== 201) throw new Error(`credit failed: ${res.status} ${res.text}`)
  }
  return { user, tv }
}

export async function link(token: string, billerId: string, account: string, nickname?: string) {
  const res = await call('POST', '/v1/me/biller-accounts', {
    token,
    body: { biller_id: billerId, account_number: account, ...(nickname ? { nickname } : {}) },
  })
  if (res.status !== 201) throw new Error(`link failed: ${res.status} ${res.text}`)
  return res.body
}

/** Feeds one bill and returns its id (as the linked person sees it). */
export async function feedBill(billerId: string, secret: string, line: Record<string, unknown>) {
  const res = await postFeed(billerId, secret, { bills: [line] })
  if (res.status !== 200 || res.body.upserted !== 1)
    throw new Error(`feed failed: ${res.status} ${res.text}`)
  const row = await env.DB.prepare('SELECT id FROM bills WHERE biller_id = ? AND bill_ref = ?')
    .bind(billerId, line.bill_ref)
    .first<{ id: string }>()
  return row!.id
}

export function confirm(userToken: string, paymentId: string, extra: Record<string, unknown> = {}) {
  return call('POST', `/v1/payments/${paymentId}/confirm`, {
    token: userToken,
    body: { payment_method: 'wallet', pin: PIN, ...extra },
  })
}
