import { env } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { sha256Hex } from '../../src/auth/secrets'
import { MAX_LIVE_TICKETS, purgeTickets } from '../../src/channel/tickets'
import { call, expectProblem } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'
import { closeAll, join, Peer, ticketFor, upgrade } from './helpers'

async function problemOf(res: Response) {
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: JSON.parse(text), text }
}

let ipSeq = 0
/** A real account (register → tokens), for logout and refresh flows. */
async function registered() {
  const phone = `+86137${String(Date.now() % 1e5).padStart(5, '0')}${String(++ipSeq).padStart(3, '0')}`
  const res = await call('POST', '/v1/auth/register', {
    body: { phone, password: 'channel tests password' },
    headers: { 'cf-connecting-ip': `203.0.113.${ipSeq}` },
  })
  if (res.status !== 201) throw new Error(`register: ${res.status} ${res.text}`)
  return res.body as { user: { id: string }; access_token: string; refresh_token: string }
}

describe('channel tickets', () => {
  it('a phone or a TV gets a 60 s ticket; only its SHA-256 is stored', async () => {
    const user = await createTestUser()
    const tv = await createTestDevice(user.id)
    for (const token of [user.token, tv.token]) {
      const res = await call('POST', '/v1/channel/tickets', { token })
      expect(res.status, res.text).toBe(201)
      expect(res.body.expires_in).toBe(60)
      expect(res.body.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const row = await env.DB.prepare('SELECT * FROM channel_tickets WHERE ticket_hash = ?')
        .bind(await sha256Hex(res.body.ticket))
        .first<Record<string, unknown>>()
      expect(row).not.toBeNull()
      expect(Object.values(row!)).not.toContain(res.body.ticket)
      expect(row!.expires_at).toBe((row!.created_at as number) + 60_000)
    }
    expectProblem(await call('POST', '/v1/channel/tickets'), 401, 'unauthorized')
    const forged = `${user.token.slice(0, -4)}AAAA`
    expectProblem(
      await call('POST', '/v1/channel/tickets', { token: forged }),
      401,
      'invalid_token',
    )
  })

  it('opens one socket, once: a reused, forged, malformed or missing ticket is 401', async () => {
    const user = await createTestUser()
    const ticket = await ticketFor(user.token)
    const first = await upgrade(ticket)
    expect(first.status).toBe(101)
    const peer = new Peer(first.webSocket!)
    await peer.next('presence')

    const again = await problemOf(await upgrade(ticket))
    expect(again.status).toBe(401)
    expect(again.body.code).toBe('invalid_ticket')
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    const random = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
    for (const bad of [random, 'not a ticket', `${ticket}x`, '', null]) {
      const res = await problemOf(await upgrade(bad))
      expect([res.status, res.body.code], String(bad)).toEqual([401, 'invalid_ticket'])
    }
    // A user access token is not a ticket either.
    expect((await upgrade(user.token)).status).toBe(401)
    await closeAll(peer)
  })

  it('the access log never carries the ticket (path only)', async () => {
    const user = await createTestUser()
    const ticket = await ticketFor(user.token)
    const lines: string[] = []
    const spy = vi.spyOn(console, 'log').mockImplementation((...args) => {
      lines.push(args.map(String).join(' '))
    })
    try {
      const res = await upgrade(ticket)
      expect(res.status).toBe(101)
      await closeAll(new Peer(res.webSocket!))
    } finally {
      spy.mockRestore()
    }
    expect(lines.some((l) => l.includes('/v1/channel'))).toBe(true)
    expect(lines.filter((l) => l.includes(ticket))).toEqual([])
  })

  it('an expired ticket is refused and gone', async () => {
    const user = await createTestUser()
    const ticket = await ticketFor(user.token)
    const hash = await sha256Hex(ticket)
    await env.DB.prepare('UPDATE channel_tickets SET expires_at = ? WHERE ticket_hash = ?')
      .bind(Date.now() - 1, hash)
      .run()
    const res = await problemOf(await upgrade(ticket))
    expect([res.status, res.body.code]).toEqual([401, 'invalid_ticket'])
    const row = await env.DB.prepare('SELECT 1 FROM channel_tickets WHERE ticket_hash = ?')
      .bind(hash)
      .first()
    expect(row).toBeNull()
  })

  it('without Upgrade: websocket it is 426 and the ticket is not spent', async () => {
    const user = await createTestUser()
    const ticket = await ticketFor(user.token)
    const plain = await call('GET', `/v1/channel?ticket=${ticket}`)
    expectProblem(plain, 426, 'upgrade_required')
    expect(plain.headers.get('upgrade')).toBe('websocket')
    const res = await upgrade(ticket)
    expect(res.status).toBe(101)
    await closeAll(new Peer(res.webSocket!))
  })

  it("is refused when its holder's token would be: device unpaired, session logged out", async () => {
    const user = await createTestUser()
    const tv = await createTestDevice(user.id)
    const tvTicket = await ticketFor(tv.token)
    const del = await call('DELETE', `/v1/me/devices/${tv.id}`, { token: user.token })
    expect(del.status).toBe(204)
    const refusedTv = await problemOf(await upgrade(tvTicket))
    expect([refusedTv.status, refusedTv.body.code]).toEqual([401, 'invalid_token'])
    expect(refusedTv.body.detail).toBe('This device is no longer paired')

    const account = await registered()
    const phoneTicket = await ticketFor(account.access_token)
    const out = await call('POST', '/v1/auth/logout', {
      body: { refresh_token: account.refresh_token },
    })
    expect(out.status).toBe(204)
    const refusedPhone = await problemOf(await upgrade(phoneTicket))
    expect([refusedPhone.status, refusedPhone.body.code]).toEqual([401, 'invalid_token'])
    expect(refusedPhone.body.detail).toBe('This session has ended')
  })

  it('a device re-versioned since the ticket (token_version bumped) is refused', async () => {
    const user = await createTestUser()
    const tv = await createTestDevice(user.id)
    const ticket = await ticketFor(tv.token)
    await env.DB.prepare('UPDATE devices SET token_version = token_version + 1 WHERE id = ?')
      .bind(tv.id)
      .run()
    expect((await upgrade(ticket)).status).toBe(401)
  })

  it(`at most ${MAX_LIVE_TICKETS} unused tickets per household; 429 with Retry-After`, async () => {
    const user = await createTestUser()
    const tv = await createTestDevice(user.id)
    for (let i = 0; i < MAX_LIVE_TICKETS; i++) {
      await ticketFor(i % 2 ? user.token : tv.token)
    }
    const over = await call('POST', '/v1/channel/tickets', { token: user.token })
    expectProblem(over, 429, 'rate_limited')
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(60)
    // Another household is not affected.
    const other = await createTestUser()
    expect((await call('POST', '/v1/channel/tickets', { token: other.token })).status).toBe(201)
  })

  it('the cron purges expired tickets only', async () => {
    const user = await createTestUser()
    const live = await sha256Hex(await ticketFor(user.token))
    const old = await sha256Hex(await ticketFor(user.token))
    await env.DB.prepare('UPDATE channel_tickets SET expires_at = ? WHERE ticket_hash = ?')
      .bind(Date.now() - 1000, old)
      .run()
    const { deleted } = await purgeTickets(env, Date.now())
    expect(deleted).toBeGreaterThanOrEqual(1)
    const left = await env.DB.prepare(
      'SELECT ticket_hash FROM channel_tickets WHERE ticket_hash IN (?, ?)',
    )
      .bind(live, old)
      .all<{ ticket_hash: string }>()
    expect(left.results.map((r) => r.ticket_hash)).toEqual([live])
  })

  it('a ticket joins its own household only', async () => {
    const a = await createTestUser()
    const b = await createTestUser()
    const tvA = await createTestDevice(a.id, { name: 'A' })
    await createTestDevice(b.id, { name: 'B' })
    const phoneA = await join(a.token)
    const tv = await join(tvA.token)
    const presence = await phoneA.next('presence')
    expect(presence.devices.map((d: { name: string }) => d.name)).toEqual(['A'])
    await closeAll(phoneA, tv)
  })
})
