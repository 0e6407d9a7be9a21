// The deal rounds of the fuzzer's money script (fuzz/money.ts): a deal that ends without tipping
// (every hold released, every unconfirmed place canceled), a team of two that fills (both holds
// captured) and a team left alone to expire (its hold released once its 60 s window has passed,
// or, for a team still forming when the run ends, with its deal shortened then). Each round checks
// its outcome through the API: payments, participations, the team, the deal.
import { type Answer, type Key, type MoneyRounds, type Random, sleep } from './money'

/** A place in a team nobody else joins: checked once its window has passed. */
export type ExpiringTeam = {
  dealId: string
  code: string
  paymentId: string
  expiresAt: number
  bearer: string
}

/** A deal on `productId` (list price 3999) at 999, running from now for 3 hours. */
export function dealBody(productId: string, extra: Record<string, unknown>) {
  return {
    product_id: productId,
    deal_price: { amount: 999, currency: 'CNY' },
    starts_at: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
    ends_at: new Date(Date.now() + 3 * 3600_000).toISOString(),
    stock: 100_000,
    max_per_user: 100_000,
    ...extra,
  }
}

async function createDeal(m: MoneyRounds, step: string, key: Key, extra: Record<string, unknown>) {
  const created = await m.call('POST', '/v1/admin/deals', {
    token: 'admin',
    headers: { 'idempotency-key': key(step) },
    body: dealBody(m.dealProductId, extra),
  })
  return m.expect(step, created, [201]) ? (created.body.id as string) : null
}

/** The admin ends the deal in 1.5 s (PATCH ends_at), waits it out and runs the cron. */
async function endSoon(m: MoneyRounds, step: string, dealId: string) {
  const endsAt = Date.now() + 1500
  const shortened = await m.call('PATCH', '/v1/admin/deals/{id}', {
    token: 'admin',
    params: { id: dealId },
    body: { ends_at: new Date(endsAt).toISOString() },
  })
  if (!m.expect(step, shortened, [200])) return false
  await sleep(endsAt - Date.now() + 250)
  await m.household.tick()
  return true
}

async function readDeal(m: MoneyRounds, dealId: string) {
  const deal = await m.call('GET', '/v1/deals/{id}', { token: 'none', params: { id: dealId } })
  m.onIds(deal.body)
  return deal
}

/**
 * A group deal no one else joins (min_group_size 1,000): the TV takes one or two places the phone
 * confirms (holds) and sometimes one it leaves unconfirmed; the admin ends the deal early, the
 * cron fails it, the settlement queue releases every hold and cancels the unconfirmed place.
 */
export async function failedDeal(m: MoneyRounds, random: Random, key: Key) {
  const dealId = await createDeal(m, 'failing deal: create', key, { min_group_size: 1000 })
  if (!dealId) return
  const held: string[] = []
  const open: string[] = []
  const places = 1 + Math.floor(random() * 2) + (random() < 0.5 ? 1 : 0)
  for (let i = 0; i < places; i++) {
    const placeKey: Key = (s) => key(`${s} ${i}`)
    const joined = await m.retrying('failing deal: join', () =>
      m.call('POST', '/v1/deals/{id}/join', {
        token: 'device',
        params: { id: dealId },
        headers: { 'idempotency-key': placeKey('join') },
        body: { quantity: 1 },
      }),
    )
    if (!m.expect('failing deal: join', joined, [201])) continue
    const paymentId = joined.body.payment.id as string
    if (i === 2) {
      open.push(paymentId) // left unconfirmed: canceled when the deal fails
      continue
    }
    const confirmed = await m.confirm(
      'failing deal: confirm',
      paymentId,
      ['requires_capture'],
      random,
      placeKey,
      { address: true },
    )
    if (confirmed) held.push(paymentId)
  }
  if (held.length + open.length === 0) return
  if (!(await endSoon(m, 'failing deal: end early', dealId))) return
  const after = new Map<string, Answer>()
  for (const id of held) after.set(id, await m.waitFor(id, 'requires_capture'))
  for (const id of open) after.set(id, await m.waitFor(id, 'requires_confirmation'))
  const deal = await readDeal(m, dealId)
  if (!m.expect('failing deal: read', deal, [200])) return
  if (deal.body.status !== 'failed') {
    // The fuzzing's admin token edits deals too (a later end, a lower threshold): then the
    // outcome is its, and the global checks (fuzz/run.ts) still hold the money to the statuses.
    const edited = deal.body.min_group_size !== 1000 || Date.parse(deal.body.ends_at) > Date.now()
    if (edited) return m.count(`failing deal: edited by the fuzzing (${deal.body.status})`)
    return m.finding('failing deal', `ended as ${deal.body.status}, expected failed`, deal)
  }
  for (const [id, read] of after) {
    const wanted = held.includes(id) ? ['canceled'] : ['canceled', 'expired']
    if (read.status === 200 && wanted.includes(read.body.status))
      m.count(
        `failing deal: ${held.includes(id) ? 'hold released' : 'unconfirmed place'} → ${read.body.status}`,
      )
    else if (read.status === 200)
      m.finding('failing deal', `payment ${read.body.status} after the deal failed`, read)
    else m.expect('failing deal: payment read', read, [200])
  }
  const places_ = await m.retrying('failing deal: my places', () =>
    m.call('GET', '/v1/me/deal-participations', { token: 'device', query: { limit: '50' } }),
  )
  if (!m.expect('failing deal: my places', places_, [200])) return
  for (const place of places_.body.items ?? []) {
    if (place.deal_id !== dealId) continue
    if (place.status !== 'released')
      m.finding('failing deal', `participation ${place.status} after the deal failed`, places_)
  }
}

/** A team of two: one person opens it, the other joins by its code; both holds are captured. */
export async function teamFill(m: MoneyRounds, random: Random, key: Key) {
  const neighbour = await m.household.neighbour()
  const householdOpens = random() < 0.5
  const join = (step: string, bearer: string | undefined, code?: string) =>
    m.retrying(step, () =>
      m.call('POST', '/v1/deals/{id}/join', {
        token: bearer ? 'user' : 'device',
        bearer,
        params: { id: m.teamDealId },
        headers: { 'idempotency-key': key(step) },
        body: { quantity: 1, ...(code ? { team_code: code } : {}) },
      }),
    )
  const [opener, joiner] = householdOpens ? [undefined, neighbour] : [neighbour, undefined]
  const opened = await join('team: open', opener)
  if (!m.expect('team: open', opened, [201])) return
  const code = opened.body.participation?.team?.code as string | undefined
  if (!code) return m.finding('team: open', 'no team code in the participation', opened)
  // Codes are typed on a remote: case does not matter.
  const joined = await join(
    'team: join by code',
    joiner,
    random() < 0.3 ? code.toLowerCase() : code,
  )
  if (!m.expect('team: join by code', joined, [201])) return
  if (joined.body.participation?.team?.code !== code)
    m.finding('team: join by code', `joined team ${joined.body.participation?.team?.code}`, joined)
  const payments = [
    { id: opened.body.payment.id as string, bearer: opener },
    { id: joined.body.payment.id as string, bearer: joiner },
  ]
  for (const [i, p] of payments.entries()) {
    // The second confirmation fills the team; its capture may come in the request's wake.
    const expected = i === 0 ? ['requires_capture'] : ['requires_capture', 'succeeded']
    const held = await m.confirm(`team: confirm ${i + 1}`, p.id, expected, random, key, {
      address: true,
      bearer: p.bearer,
    })
    if (!held) return
  }
  for (const p of payments) {
    const after = await m.waitFor(p.id, 'requires_capture', p.bearer)
    if (after.status === 200 && /succeeded|refunded/.test(after.body.status)) {
      m.count('team: filled, hold captured')
      if (!p.bearer) m.paid.push({ id: p.id, amount: after.body.amount.amount })
    } else if (after.status === 200)
      m.finding('team: filled', `payment ${after.body.status}, expected succeeded`, after)
    else m.expect('team: payment read', after, [200])
  }
  const team = await m.call('GET', '/v1/deals/{id}/teams/{code}', {
    token: 'user',
    bearer: neighbour,
    params: { id: m.teamDealId, code },
  })
  if (
    m.expect('team: read', team, [200]) &&
    (team.body.status !== 'filled' || team.body.confirmed !== 2)
  )
    m.finding('team: read', `team ${team.body.status}, ${team.body.confirmed} confirmed`, team)
}

/**
 * The neighbour opens a team of two (60 s to fill, a deal of its own) and confirms; nobody joins.
 * Checked by checkExpiredTeams once the window has passed.
 */
export async function teamExpire(m: MoneyRounds, random: Random, key: Key) {
  const neighbour = await m.household.neighbour()
  const dealId = await createDeal(m, 'lone team: create deal', key, {
    mode: 'team',
    team_size: 2,
    team_window_seconds: 60,
  })
  if (!dealId) return
  const opened = await m.call('POST', '/v1/deals/{id}/join', {
    token: 'user',
    bearer: neighbour,
    params: { id: dealId },
    headers: { 'idempotency-key': key('lone team: open') },
    body: { quantity: 1 },
  })
  if (!m.expect('lone team: open', opened, [201])) return
  const team = opened.body.participation?.team
  if (!team?.code) return m.finding('lone team: open', 'no team in the participation', opened)
  const paymentId = opened.body.payment.id as string
  const held = await m.confirm('lone team: confirm', paymentId, ['requires_capture'], random, key, {
    address: true,
    bearer: neighbour,
  })
  if (!held) return
  m.expiring.push({
    dealId,
    code: team.code,
    paymentId,
    expiresAt: Date.parse(team.expires_at),
    bearer: neighbour,
  })
}

/**
 * The lone teams whose window has passed: the cron fails them and the queue releases their holds
 * while their deals go on. `final` (the run is ending): the ones still forming end with their deal,
 * which the admin ends early, so a short run checks them too.
 */
export async function checkExpiredTeams(m: MoneyRounds, final: boolean) {
  const due = m.expiring.filter((t) => final || Date.now() > t.expiresAt + 500)
  if (due.length === 0) return
  m.expiring.splice(0, m.expiring.length, ...m.expiring.filter((t) => !due.includes(t)))
  const withDeal = new Set<ExpiringTeam>()
  for (const t of due) {
    if (Date.now() > t.expiresAt + 500) continue
    const ended = await m.call('PATCH', '/v1/admin/deals/{id}', {
      token: 'admin',
      params: { id: t.dealId },
      body: { ends_at: new Date(Date.now() + 1500).toISOString() },
    })
    if (m.expect('lone team: end its deal', ended, [200])) withDeal.add(t)
  }
  if (withDeal.size > 0) await sleep(1750)
  await m.household.tick()
  for (const t of due) {
    const how = withDeal.has(t) ? 'with its deal' : 'its window passed'
    const after = await m.waitFor(t.paymentId, 'requires_capture', t.bearer)
    if (after.status === 200 && after.body.status === 'canceled')
      m.count(`lone team (${how}): hold released`)
    else if (after.status === 200)
      m.finding('lone team', `${how}: payment ${after.body.status}, expected canceled`, after)
    else m.expect('lone team: payment read', after, [200])
    const team = await m.call('GET', '/v1/deals/{id}/teams/{code}', {
      token: 'user',
      bearer: t.bearer,
      params: { id: t.dealId, code: t.code },
    })
    if (m.expect('lone team: read', team, [200]) && team.body.status !== 'failed')
      m.finding('lone team', `${how}: team ${team.body.status}, expected failed`, team)
    const deal = await readDeal(m, t.dealId)
    const dealStatus = withDeal.has(t) ? 'failed' : 'active'
    if (!m.expect('lone team: deal read', deal, [200]) || deal.body.status === dealStatus) continue
    // The fuzzing's admin token may have ended the deal sooner than the team's window.
    if (!withDeal.has(t) && Date.parse(deal.body.ends_at) <= t.expiresAt)
      m.count('lone team: its deal ended early by the fuzzing')
    else m.finding('lone team', `${how}: deal ${deal.body.status}, expected ${dealStatus}`, deal)
  }
}
