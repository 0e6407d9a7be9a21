import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { listAccounts } from '../../src/bills/accounts'
import { listBillers, validFeedSecrets } from '../../src/bills/billers'
import { ingestFeed, listSettlements, purgeFeedNonces } from '../../src/bills/feed'
import { findVisibleBill, listMyBills } from '../../src/bills/lookup'
import { payBill } from '../../src/bills/pay'
import {
  listNotifications,
  recordBillReminders,
  undeliveredNotifications,
} from '../../src/bills/reminders'
import { loadHome } from '../../src/catalog/home'
import { encodeCursor } from '../../src/lib/pagination'
import { queryPlan, recordingEnv } from '../catalog/recording-db'
import {
  accountNumber,
  billLine,
  createBiller,
  feedBill,
  link,
  member,
  useFeedKey,
} from './helpers'
import { homeRails, purposes } from '../../src/wiring'

/**
 * Every statement the bills capability runs, planned by SQLite against the migrated schema: none may
 * walk a whole bills-side table. (json_each is the bound feed document itself, and payments is read
 * through its own purpose indexes.)
 */
/** Set to true to print every plan while working on a query. */
const PRINT_PLANS = false

const TABLES = [
  'bills',
  'biller_accounts',
  'billers',
  'biller_feed_secrets',
  'biller_feed_nonces',
  'bill_settlements',
  'notifications',
  'bill_payment_attempts',
  'payments',
]

function fullScans(plan: string[], sql: string): string[] {
  const aliases = new Set(TABLES)
  for (const m of sql.matchAll(/\b(\w+)\s+(?:AS\s+)?([a-z])\b/g))
    if (TABLES.includes(m[1]!)) aliases.add(m[2]!)
  return plan.filter((line) => {
    const scanned = /^SCAN (\w+)(?: USING)?/.exec(line)?.[1]
    // Walking a partial index in order under a LIMIT reads only the rows it holds (the backlog).
    const partialInOrder = /USING INDEX (notifications_undelivered_idx)\b/.test(line)
    // A bills search keyed on the biller alone walks all of that biller's bills.
    const billerWide = /^SEARCH \w+ USING (COVERING )?INDEX bills_\w+ \(biller_id=\?\)$/.test(line)
    return (scanned !== undefined && aliases.has(scanned) && !partialInOrder) || billerWide
  })
}

let ctx: Awaited<ReturnType<typeof fixture>>

async function fixture() {
  const { biller, secret } = await createBiller({ rules: { amount: 'partial' } })
  const number = accountNumber()
  const who = await member({ balance: 100_000 })
  await link(who.user.token, biller.id, number)
  const billId = await feedBill(biller.id, secret, billLine(number, { due_date: '2099-01-01' }))
  return { biller, secret, number, billId, ...who }
}

beforeAll(async () => {
  useFeedKey()
  ctx = await fixture()
})

describe('query plans of the bills capability', () => {
  it('use an index for every read and guarded write', async () => {
    const rec = recordingEnv()
    const now = Date.now()
    const { biller, number, user, tv, billId } = ctx
    const principal = {
      kind: 'device' as const,
      userId: user.id,
      deviceId: tv.id,
      clientId: tv.clientId,
    }
    await listMyBills(rec.env.DB, user.id, { status: 'unpaid', limit: 20 }, now)
    await listMyBills(
      rec.env.DB,
      user.id,
      { status: 'paid', limit: 20, cursor: 'eyJkdWUiOiIyMDk5LTAxLTAxIiwiaWQiOiJ6In0' },
      now,
    )
    await findVisibleBill(rec.env.DB, user.id, billId)
    // Every list's first page and a later one (keysetClause adds the row-value bound).
    const atCursor = encodeCursor({ at: 1, id: 'x' })
    await listAccounts(rec.env.DB, user.id, { limit: 20 })
    await listAccounts(rec.env.DB, user.id, { limit: 20, cursor: atCursor })
    await listBillers(rec.env.DB, { limit: 20 })
    await listBillers(rec.env.DB, { limit: 20, cursor: encodeCursor({ id: 'x' }) })
    await listBillers(rec.env.DB, { category: 'electricity', limit: 20 })
    await validFeedSecrets(rec.env, biller.id, now)
    await listSettlements(rec.env.DB, biller.id, { since: 0, limit: 20 })
    await listSettlements(rec.env.DB, biller.id, { since: 0, limit: 20, cursor: atCursor })
    await listNotifications(rec.env.DB, user.id, { limit: 20 })
    await listNotifications(rec.env.DB, user.id, { limit: 20, cursor: atCursor })
    await undeliveredNotifications(rec.env.DB, 50)
    await recordBillReminders(rec.env, now)
    await purgeFeedNonces(rec.env, now)
    await loadHome(rec.env, homeRails, principal, now)
    const caller = { billerId: biller.id, digest: `plan-${now}`, replayKeepUntil: now + 600_000 }
    await ingestFeed(rec.env, caller, [billLine(number, { bill_ref: `PLAN-${now}` })], now)
    await payBill(rec.env, purposes, principal, billId, 100, now)

    const problems: string[] = []
    for (const s of rec.statements) {
      const plan = await queryPlan(s)
      const scans = fullScans(plan, s.sql)
      if (PRINT_PLANS)
        console.log(`${s.sql.replace(/\s+/g, ' ').slice(0, 200)}\n  ${plan.join('\n  ')}`)
      if (scans.length)
        problems.push(`${s.sql.replace(/\s+/g, ' ').slice(0, 160)}\n  ${plan.join('\n  ')}`)
    }
    expect(rec.statements.length).toBeGreaterThan(15)
    expect(problems).toEqual([])
  })
})
