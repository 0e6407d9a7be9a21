import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { runScheduled } from '../../src/cron'
import { ADMIN, call, expectProblem } from '../helpers/http'
import { confirm, confirmBody, household, orderFromTv, PIN, seedProduct } from './helpers'

describe('Idempotency-Key', () => {
  it('replays the first response byte for byte with Idempotency-Replayed: true', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    const key = `confirm-${payment.id}`
    const first = await confirm(user.token, payment.id, confirmBody(), key)
    expect(first.status).toBe(200)
    expect(first.headers.get('idempotency-replayed')).toBeNull()
    const second = await confirm(user.token, payment.id, confirmBody(), key)
    expect(second.status).toBe(200)
    expect(second.headers.get('idempotency-replayed')).toBe('true')
    expect(second.text).toBe(first.text)
    // Key order and whitespace are not a different body.
    const reordered = await call('POST', `/v1/payments/${payment.id}/confirm`, {
      token: user.token,
      rawBody: JSON.stringify(
        { pin: PIN, shipping_address: confirmBody().shipping_address, payment_method: 'wallet' },
        null,
        2,
      ),
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
    })
    expect(reordered.text).toBe(first.text)
  })

  it('replays errors too: a wrong PIN with the same key is not a second attempt', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    const key = `wrong-${payment.id}`
    const first = await confirm(user.token, payment.id, confirmBody({ pin: '000000' }), key)
    expectProblem(first, 403, 'invalid_pin')
    const second = await confirm(user.token, payment.id, confirmBody({ pin: '000000' }), key)
    expect(second.text).toBe(first.text)
    expect(second.headers.get('idempotency-replayed')).toBe('true')
    const row = await env.DB.prepare('SELECT pin_failed_attempts FROM users WHERE id = ?')
      .bind(user.id)
      .first()
    expect(row).toEqual({ pin_failed_attempts: 1 })
  })

  it('the same key with a different body is 422 idempotency_key_reuse', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    const key = `reuse-${payment.id}`
    expectProblem(
      await confirm(user.token, payment.id, confirmBody({ pin: '000000' }), key),
      403,
      'invalid_pin',
    )
    expectProblem(
      await confirm(user.token, payment.id, confirmBody(), key),
      422,
      'idempotency_key_reuse',
    )
  })

  it('keys are scoped to the principal: two TVs may use the same key', async () => {
    const a = await household()
    const b = await household()
    const productId = await seedProduct({ price: 100, stock: 10 })
    const body = { items: [{ product_id: productId, quantity: 1 }] }
    const ra = await call('POST', '/v1/orders', {
      token: a.tv.token,
      body,
      headers: { 'idempotency-key': 'shared-key-1' },
    })
    const rb = await call('POST', '/v1/orders', {
      token: b.tv.token,
      body,
      headers: { 'idempotency-key': 'shared-key-1' },
    })
    expect([ra.status, rb.status]).toEqual([201, 201])
    expect(ra.body.order.id).not.toBe(rb.body.order.id)
    const again = await call('POST', '/v1/orders', {
      token: a.tv.token,
      body,
      headers: { 'idempotency-key': 'shared-key-1' },
    })
    expect(again.body.order.id).toBe(ra.body.order.id)
    expect(again.headers.get('idempotency-replayed')).toBe('true')
  })

  it('an order retried with its key reserves stock once', async () => {
    const { tv } = await household()
    const productId = await seedProduct({ price: 100, stock: 5 })
    const body = { items: [{ product_id: productId, quantity: 2 }] }
    const headers = { 'idempotency-key': `order-${productId}` }
    const first = await call('POST', '/v1/orders', { token: tv.token, body, headers })
    const second = await call('POST', '/v1/orders', { token: tv.token, body, headers })
    expect(second.text).toBe(first.text)
    const row = await env.DB.prepare('SELECT stock, reserved FROM products WHERE id = ?')
      .bind(productId)
      .first()
    expect(row).toEqual({ stock: 5, reserved: 2 })
  })

  it('admin credits honour the key', async () => {
    const { user } = await household()
    const send = () =>
      call('POST', `/v1/admin/wallets/${user.id}/credits`, {
        body: { amount: { amount: 700, currency: 'CNY' }, reason: 'promo' },
        headers: { ...ADMIN, 'idempotency-key': `credit-${user.id}` },
      })
    const first = await send()
    expect(first.status).toBe(201)
    const second = await send()
    expect(second.text).toBe(first.text)
    expect((await call('GET', '/v1/me/wallet', { token: user.token })).body.balance.amount).toBe(
      700,
    )
  })

  it('rejects malformed keys with 400 idempotency_key_invalid', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    for (const key of ['', 'x'.repeat(256), 'has space']) {
      expectProblem(
        await confirm(user.token, payment.id, confirmBody(), key || ' '),
        400,
        'idempotency_key_invalid',
      )
    }
  })

  it('answers 409 while a claim is in flight, and lets a stale claim be taken over', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    const key = `inflight-${payment.id}`
    const { fingerprint } = await import('../../src/http/idempotency')
    const hash = await fingerprint(env, JSON.stringify(confirmBody()))
    const scope = `user:${user.id} POST /v1/payments/${payment.id}/confirm`
    const now = Date.now()
    await env.DB.prepare(
      'INSERT INTO idempotency_keys (scope, key, request_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    )
      .bind(scope, key, hash, now, now + 86_400_000)
      .run()
    expectProblem(
      await confirm(user.token, payment.id, confirmBody(), key),
      409,
      'idempotency_in_progress',
    )
    await env.DB.prepare('UPDATE idempotency_keys SET created_at = ? WHERE scope = ? AND key = ?')
      .bind(now - 120_000, scope, key)
      .run()
    expect((await confirm(user.token, payment.id, confirmBody(), key)).status).toBe(200)
  })

  it('the stored fingerprint gives no PIN back: an HMAC under a server secret, not a plain hash', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    const key = `pin-safe-${payment.id}`
    expect((await confirm(user.token, payment.id, confirmBody(), key)).status).toBe(200)
    const row = await env.DB.prepare('SELECT request_hash FROM idempotency_keys WHERE key = ?')
      .bind(key)
      .first<{ request_hash: string }>()
    // The attack of the review: everything but the PIN is known, so hash each candidate body.
    for (const pin of [PIN, '000000', '135790']) {
      expect(row!.request_hash).not.toContain(await sha256Hex(canonicalJson(confirmBody({ pin }))))
    }
    // Keyed by the server secret: without it there is nothing to test guesses against.
    const { fingerprint } = await import('../../src/http/idempotency')
    expect(await fingerprint(env, JSON.stringify(confirmBody()))).toBe(row!.request_hash)
    expect(await fingerprint({ ...env, PIN_PEPPER: 'another-pepper-0123456789' }, '{}')).not.toBe(
      await fingerprint(env, '{}'),
    )
  })

  it('fingerprints from before they were keyed do not turn a legitimate retry into a 422', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const scope = `user:${user.id} POST /v1/payments/`
    const first = await orderFromTv(tv.token)
    const done = await confirm(
      user.token,
      first.payment.id,
      confirmBody(),
      `legacy-a-${first.payment.id}`,
    )
    expect(done.status).toBe(200)
    // What migration 0017 leaves of an old row, and a plain SHA-256 row that old code wrote
    // during the deploy: a retry of either with its body replays the first answer.
    const { REDACTED_FINGERPRINT } = await import('../../src/http/idempotency')
    await env.DB.prepare('UPDATE idempotency_keys SET request_hash = ? WHERE key = ?')
      .bind(REDACTED_FINGERPRINT, `legacy-a-${first.payment.id}`)
      .run()
    const again = await confirm(
      user.token,
      first.payment.id,
      confirmBody(),
      `legacy-a-${first.payment.id}`,
    )
    expect(again.status, again.text).toBe(200)
    expect(again.headers.get('idempotency-replayed')).toBe('true')

    const second = await orderFromTv(tv.token)
    const key = `legacy-b-${second.payment.id}`
    const legacy = await sha256Hex(canonicalJson(confirmBody()))
    const now = Date.now()
    await env.DB.prepare(
      `INSERT INTO idempotency_keys (scope, key, request_hash, response_status, response_body,
         response_type, created_at, expires_at) VALUES (?, ?, ?, 200, '{"legacy":true}', 'application/json', ?, ?)`,
    )
      .bind(`${scope}${second.payment.id}/confirm`, key, legacy, now, now + 86_400_000)
      .run()
    const replayed = await confirm(user.token, second.payment.id, confirmBody(), key)
    expect(replayed.text).toBe('{"legacy":true}')
    expectProblem(
      await confirm(user.token, second.payment.id, confirmBody({ payment_method: 'pm_x' }), key),
      422,
      'idempotency_key_reuse',
    )
  })

  it('migration 0017 scrubs the plain fingerprints already stored', async () => {
    const migration = env.TEST_MIGRATIONS.find((m) =>
      m.name.includes('idempotency_fingerprints_keyed'),
    )
    expect(migration?.name).toMatch(/idempotency/)
    const now = Date.now()
    const { fingerprint } = await import('../../src/http/idempotency')
    const keyed = await fingerprint(env, '{"a":1}')
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO idempotency_keys (scope, key, request_hash, created_at, expires_at)
         VALUES ('migration-test', 'old', ?, ?, ?), ('migration-test', 'new', ?, ?, ?)`,
      ).bind(await sha256Hex('{"pin":"482913"}'), now, now + 1000, keyed, now, now + 1000),
    ])
    for (const sql of migration!.queries) await env.DB.prepare(sql).run()
    const { results } = await env.DB.prepare(
      "SELECT key, request_hash FROM idempotency_keys WHERE scope = 'migration-test' ORDER BY key",
    ).all()
    expect(results).toEqual([
      { key: 'new', request_hash: keyed },
      { key: 'old', request_hash: 'redacted' },
    ])
  })

  it('the cron deletes keys older than 24 hours', async () => {
    const { user, tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    await confirm(user.token, payment.id, confirmBody(), `old-${payment.id}`)
    const count = () =>
      env.DB.prepare('SELECT COUNT(*) AS n FROM idempotency_keys WHERE key = ?')
        .bind(`old-${payment.id}`)
        .first<{ n: number }>()
    expect((await count())!.n).toBe(1)
    await runScheduled(env, Date.now() + 25 * 3600_000)
    expect((await count())!.n).toBe(0)
  })
})

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}

/** JSON with sorted keys: how the fingerprint made before #14 canonicalized a body. */
function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v
  return JSON.stringify(sort(value))
}
