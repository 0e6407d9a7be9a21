import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { newTeamCode } from '../../src/deals/teams'
import { TEAM_CODE_ALPHABET } from '../../src/deals/schemas'
import { call, expectProblem } from '../helpers/http'
import { expectLedgerBalanced } from '../helpers/ledger'
import { createTestUser } from '../helpers/principals'
import {
  admin,
  confirm,
  createDeal,
  dealRow,
  household,
  join,
  joined,
  participationRow,
  paymentStatus,
  sql,
  wallet,
  settledAs,
} from './helpers'
import { settlementQueue } from './settlement-runs'

const teamOf = (token: string, dealId: string, code: string) =>
  call('GET', `/v1/deals/${dealId}/teams/${code}`, { token })
const joinTeam = (token: string, dealId: string, code: string) =>
  join(token, dealId, { quantity: 1, team_code: code })

afterEach(async () => {
  await expectLedgerBalanced(env.DB)
})

async function teamRow(code: string) {
  return (await env.DB.prepare('SELECT * FROM deal_teams WHERE code = ?').bind(code).first<any>())!
}

describe('team codes', () => {
  it('are 6 characters from the unambiguous alphabet, and spread over it', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const code = newTeamCode()
      expect(code).toMatch(/^[A-Z2-9]{6}$/)
      for (const ch of code) seen.add(ch)
      expect(code).not.toMatch(/[01ILO]/)
    }
    expect(seen.size).toBe(TEAM_CODE_ALPHABET.length)
  })
})

describe('team deals', () => {
  it('a team that fills in time: every member is captured once the last one confirms', async () => {
    const deal = await createDeal({ mode: 'team', teamSize: 3, price: 990, stock: 30 })
    const opener = await household({ balance: 10_000 })
    const opened = await joined(opener.tv.token, deal.id, { quantity: 1 })
    const team = opened.participation.team
    expect(team).toMatchObject({ size: 3, members: 1, confirmed: 0, status: 'forming' })
    expect(team.code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/)
    expect(Date.parse(team.expires_at)).toBeGreaterThan(Date.now())

    // The code typed on another TV, in lower case, finds the team.
    const b = await household({ balance: 10_000 })
    const peek = await teamOf(b.tv.token, deal.id, team.code.toLowerCase())
    expect(peek.body).toMatchObject({ code: team.code, members: 1, status: 'forming' })
    const typed = { quantity: 2, team_code: team.code.toLowerCase() }
    const bj = await joined(b.tv.token, deal.id, typed)
    expect(bj.participation.team).toMatchObject({ code: team.code, members: 2 })
    const c = await household({ balance: 10_000 })
    const cj = await joined(c.user.token, deal.id, { quantity: 1, team_code: team.code })

    expect((await confirm(opener.user.token, opened.payment.id)).status).toBe(200)
    expect((await confirm(b.user.token, bj.payment.id)).status).toBe(200)
    expect(await paymentStatus(opened.payment.id)).toBe('requires_capture')
    expect((await dealRow(deal.id)).tipped_at).toBeNull()
    expect((await confirm(c.user.token, cj.payment.id)).status).toBe(200)

    expect(await teamRow(team.code)).toMatchObject({ phase: 'filled', members: 3, confirmed: 3 })
    // The last confirmation enqueued every member's capture (not 3 captures in its request).
    await settledAs(
      'succeeded',
      [opened, bj, cj].map((j) => j.payment.id),
    )
    for (const [h, j, units] of [
      [opener, opened, 1],
      [b, bj, 2],
      [c, cj, 1],
    ] as const) {
      expect(await paymentStatus(j.payment.id)).toBe('succeeded')
      expect(await participationRow(j.participation.id)).toMatchObject({ status: 'paid' })
      expect(await wallet(h.user.id)).toEqual({ balance: 10_000 - 990 * units, held: 0 })
    }
    expect(await dealRow(deal.id)).toMatchObject({ sold: 4, reserved: 0, participants: 3 })
    expect((await dealRow(deal.id)).tipped_at).not.toBeNull()
    expect((await teamOf(c.user.token, deal.id, team.code)).body.status).toBe('filled')
  })

  it('a team that does not fill in its window: every hold released, the deal goes on', async () => {
    const deal = await createDeal({ mode: 'team', teamSize: 3, price: 1500 })
    const a = await household({ balance: 5000 })
    const aj = await joined(a.tv.token, deal.id)
    const b = await household({ balance: 5000 })
    const code = aj.participation.team.code
    const bj = await joined(b.tv.token, deal.id, { quantity: 1, team_code: code })
    await confirm(a.user.token, aj.payment.id)
    expect(await wallet(a.user.id)).toEqual({ balance: 3500, held: 1500 })

    // The window passes: the cron fails the team, the queue releases its places, confirmed or not.
    const later = Date.parse(aj.participation.team.expires_at) + 1000
    const tick = await settlementQueue().tick(later)
    expect(tick).toMatchObject({ teams_failed: 1, moved: 2, retried: 0, dead: 0 })
    expect(await teamRow(code)).toMatchObject({ phase: 'failed', members: 0, confirmed: 0 })
    expect(await wallet(a.user.id)).toEqual({ balance: 5000, held: 0 })
    expect(await paymentStatus(aj.payment.id)).toBe('canceled')
    expect(await paymentStatus(bj.payment.id)).toBe('canceled')
    expect(await dealRow(deal.id)).toMatchObject({ phase: 'open', reserved: 0, participants: 0 })

    // Nobody can join the failed team any more; a new team can be opened.
    const c = await createTestUser()
    expectProblem(await joinTeam(c.token, deal.id, code), 409, 'team_closed')
    expect((await join(c.token, deal.id, { quantity: 1 })).status).toBe(201)
  })

  it('a member whose team ran out of time cannot confirm any more', async () => {
    const deal = await createDeal({ mode: 'team', teamSize: 2 })
    const a = await household({ balance: 5000 })
    const aj = await joined(a.tv.token, deal.id)
    const code = aj.participation.team.code
    await sql('UPDATE deal_teams SET expires_at = ? WHERE code = ?', Date.now() - 1, code)
    expectProblem(await confirm(a.user.token, aj.payment.id), 409, 'team_closed')
    expect(await wallet(a.user.id)).toEqual({ balance: 5000, held: 0 })
  })

  it('the same person cannot join a team twice, from the phone or any of their TVs', async () => {
    const deal = await createDeal({ mode: 'team', teamSize: 4 })
    const a = await household()
    const aj = await joined(a.tv.token, deal.id)
    const code = aj.participation.team.code
    expectProblem(await joinTeam(a.user.token, deal.id, code), 409, 'already_in_team')
    const b = await household()
    const tokens = [b.user.token, b.tv.token, b.user.token, b.tv.token]
    const tries = await Promise.all(tokens.map((token) => joinTeam(token, deal.id, code)))
    expect(tries.filter((r) => r.status === 201)).toHaveLength(1)
    for (const r of tries.filter((r) => r.status !== 201)) expectProblem(r, 409, 'already_in_team')
    expect(await teamRow(code)).toMatchObject({ members: 2 })
  })

  it('a full team refuses members, even concurrently; a released place is free again', async () => {
    const deal = await createDeal({ mode: 'team', teamSize: 3, stock: 100 })
    const opener = await createTestUser()
    const aj = await joined(opener.token, deal.id)
    const code = aj.participation.team.code
    const others = await Promise.all(Array.from({ length: 8 }, () => createTestUser()))
    const tries = await Promise.all(others.map((u) => joinTeam(u.token, deal.id, code)))
    const ok = tries.filter((r) => r.status === 201)
    expect(ok).toHaveLength(2)
    for (const r of tries.filter((r) => r.status !== 201)) expectProblem(r, 409, 'team_full')
    expect(await teamRow(code)).toMatchObject({ members: 3 })

    const leaver = others[tries.indexOf(ok[0]!)]!
    await call('POST', `/v1/payments/${ok[0]!.body.payment.id}/cancel`, { token: leaver.token })
    expect(await teamRow(code)).toMatchObject({ members: 2 })
    const newcomer = others.find((u, i) => tries[i]!.status !== 201)!
    expect((await joinTeam(newcomer.token, deal.id, code)).status).toBe(201)
  })

  it('many teams run at once; unknown codes are 404 and malformed ones 400', async () => {
    const deal = await createDeal({ mode: 'team', teamSize: 2, stock: 100 })
    const openers = await Promise.all(Array.from({ length: 10 }, () => createTestUser()))
    const opened = await Promise.all(openers.map((u) => joined(u.token, deal.id)))
    expect(new Set(opened.map((o) => o.participation.team.code)).size).toBe(10)
    const user = await createTestUser()
    const other = await createDeal({ mode: 'team', teamSize: 2 })
    // A code belongs to its deal.
    const code = opened[0]!.participation.team.code
    expectProblem(await joinTeam(user.token, other.id, code), 404, 'not_found')
    expectProblem(await joinTeam(user.token, deal.id, 'ZZZZZZ'), 404, 'not_found')
    expectProblem(await joinTeam(user.token, deal.id, 'ABC0O1'), 400, 'validation_failed')
    expectProblem(await teamOf(user.token, deal.id, 'ZZZZZZ'), 404, 'not_found')
    const anonymous = await call('GET', `/v1/deals/${deal.id}/teams/${code}`)
    expectProblem(anonymous, 401, 'unauthorized')
  })

  it('shortening a team deal shortens its forming teams: no team outlives its deal', async () => {
    const deal = await createDeal({ mode: 'team', teamSize: 3, teamWindowSeconds: 3600 })
    const aj = await joined((await createTestUser()).token, deal.id)
    const ends = new Date(Date.now() + 10 * 60_000).toISOString()
    const res = await admin('PATCH', `/v1/admin/deals/${deal.id}`, { ends_at: ends })
    expect(res.status, res.text).toBe(200)
    expect((await teamRow(aj.participation.team.code)).expires_at).toBe(Date.parse(ends))
  })

  it('a team deal whose window ends with only forming teams fails as a whole', async () => {
    const deal = await createDeal({ mode: 'team', teamSize: 2 })
    const a = await household({ balance: 3000 })
    const aj = await joined(a.tv.token, deal.id)
    await confirm(a.user.token, aj.payment.id)
    const end = Date.parse(deal.ends_at) + 1000
    // Every other deal of this file has ended by then too: look at this one only.
    const tick = await settlementQueue().tick(end)
    expect(tick).toMatchObject({ retried: 0, dead: 0 })
    expect(await paymentStatus(aj.payment.id)).toBe('canceled')
    expect(await dealRow(deal.id)).toMatchObject({ phase: 'failed', reserved: 0 })
    expect(await wallet(a.user.id)).toEqual({ balance: 3000, held: 0 })
  })
})
