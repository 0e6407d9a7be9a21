// Demo billers and bills for `npm run dev`, written with the same SQL as POST /v1/admin/billers and
// the signed feed. Feed secrets are not seeded (they are encrypted with the BILLER_FEED_KEY secret
// and shown once): `POST /v1/admin/billers/{id}/rotate-secret` issues one for a seeded biller.
// Link one of DEMO_ACCOUNTS with POST /v1/me/biller-accounts to see its bills.
import { billerUpsertSql, billUpsertSql, type BillerRow, type GoodLine } from '../../src/bills/rows'
import { seededId } from './ids'
import type { SeedModule } from './modules'

type DemoBiller = Omit<BillerRow, 'id' | 'created_at' | 'updated_at'> & {
  account: string
  bills: Array<{ period: string; amount: number; dueInDays: number }>
}

export const DEMO_BILLERS: DemoBiller[] = [
  {
    name: '国网上海市电力公司',
    category: 'electricity',
    account_pattern: '^\\d{10}$',
    amount_rule: 'any',
    min_amount: 1000,
    max_amount: 500_000,
    payable_after_due: 1,
    account: '3100000001',
    bills: [
      { period: '2026-03', amount: 21_340, dueInDays: -3 },
      { period: '2026-04', amount: 18_650, dueInDays: 2 },
    ],
  },
  {
    name: '上海城投水务',
    category: 'water',
    account_pattern: '^\\d{8}$',
    amount_rule: 'exact',
    min_amount: null,
    max_amount: null,
    payable_after_due: 1,
    account: '20000001',
    bills: [{ period: '2026-Q1', amount: 9_630, dueInDays: 10 }],
  },
  {
    name: '上海燃气',
    category: 'gas',
    account_pattern: '^\\d{9}$',
    amount_rule: 'partial',
    min_amount: 500,
    max_amount: null,
    payable_after_due: 1,
    account: '300000001',
    bills: [{ period: '2026-04', amount: 7_420, dueInDays: 6 }],
  },
  {
    name: '中国电信宽带',
    category: 'broadband',
    account_pattern: '^0\\d{2,3}-\\d{7,8}$',
    amount_rule: 'exact',
    min_amount: null,
    max_amount: null,
    payable_after_due: 0,
    account: '021-61230001',
    bills: [{ period: '2026-05', amount: 12_900, dueInDays: 1 }],
  },
  {
    name: '东方有线',
    category: 'tv',
    account_pattern: '^\\d{12}$',
    amount_rule: 'exact',
    min_amount: null,
    max_amount: null,
    payable_after_due: 1,
    account: '900000000001',
    bills: [{ period: '2026', amount: 31_200, dueInDays: 20 }],
  },
]

const DAY_MS = 24 * 60 * 60 * 1000

/** The due date `days` from `now` on the China calendar (UTC+8), as bills print it. */
function dueDate(now: number, days: number): string {
  return new Date(now + 8 * 60 * 60 * 1000 + days * DAY_MS).toISOString().slice(0, 10)
}

export const billsSeed: SeedModule = {
  name: 'bills',
  sources: ['src/bills/rows.ts', 'src/lib/ids.ts'],
  *units({ seed, now }) {
    let billIndex = 0
    for (const [i, demo] of DEMO_BILLERS.entries()) {
      const { account, bills, ...fields } = demo
      const id = seededId('biller', i, seed)
      yield [billerUpsertSql({ ...fields, id, created_at: now, updated_at: now })]
      const lines: GoodLine[] = bills.map((b) => [
        seededId('bill', billIndex++, seed),
        `DEMO-${b.period}-${account}`,
        account,
        b.period,
        b.amount,
        dueDate(now, b.dueInDays),
      ])
      yield [billUpsertSql(id, lines, now)]
    }
  },
}
