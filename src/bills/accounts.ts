import type { RowOf } from '../db/rows'
import type { billerAccounts } from '../db/schema/bills'
import { z } from '@hono/zod-openapi'
import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
import { keyset, keysetClause, keysetPage } from '../lib/pagination'
import { iso } from '../lib/time'
import { errorText } from '../lib/d1-errors'
import { findBiller, type BillerRow } from './billers'
import { compiledPattern, maskAccountNumber, matchesAccountPattern } from './pattern'
import type { BillerAccountSchema } from './schemas'

/** Enough for every utility of a household several times over; stops a script filling the table. */
export const MAX_LINKED_ACCOUNTS = 50

type AccountView = z.infer<typeof BillerAccountSchema>

type AccountRow = Pick<
  RowOf<typeof billerAccounts>,
  'id' | 'biller_id' | 'account_number' | 'nickname' | 'created_at'
> & { biller_name: string; biller_category: BillerRow['category'] }

function toAccountView(row: AccountRow): AccountView {
  return {
    id: row.id,
    biller: { id: row.biller_id, name: row.biller_name, category: row.biller_category },
    account_number_masked: maskAccountNumber(row.account_number),
    nickname: row.nickname,
    created_at: iso(row.created_at),
  }
}

/**
 * Links a biller account number to a person (and so to their TVs). The number must match the
 * biller's pattern. Several household members may link the same number; one person links it once.
 */
export async function linkAccount(
  d1: D1Database,
  userId: string,
  input: { biller_id: string; account_number: string; nickname?: string },
  now: number,
): Promise<AccountView> {
  const biller = await findBiller(d1, input.biller_id)
  if (!biller)
    throw new ApiError('unknown_biller', 'No biller has this id', {
      errors: [{ path: 'biller_id', message: 'unknown biller' }],
    })
  if (!matchesAccountPattern(compiledPattern(biller.account_pattern), input.account_number)) {
    throw new ApiError(
      'invalid_account_number',
      `${biller.name} account numbers look like ${biller.account_pattern}`,
      {
        errors: [
          { path: 'account_number', message: "does not match the biller's account_pattern" },
        ],
      },
    )
  }
  const id = newId('billerAccount')
  let changes: number
  try {
    // The count guard is inside the INSERT, so concurrent links cannot pass the cap together.
    const res = await d1
      .prepare(
        `INSERT INTO biller_accounts (id, user_id, biller_id, account_number, nickname, created_at)
         SELECT ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM biller_accounts WHERE user_id = ?) < ?`,
      )
      .bind(
        id,
        userId,
        biller.id,
        input.account_number,
        input.nickname ?? null,
        now,
        userId,
        MAX_LINKED_ACCOUNTS,
      )
      .run()
    changes = res.meta.changes
  } catch (err) {
    if (/UNIQUE constraint failed: biller_accounts/.test(errorText(err))) {
      throw new ApiError('account_already_linked', 'You have already linked this account number')
    }
    throw err
  }
  if (changes !== 1)
    throw new ApiError(
      'limit_exceeded',
      `At most ${MAX_LINKED_ACCOUNTS} biller accounts per person`,
    )
  return toAccountView({
    id,
    biller_id: biller.id,
    account_number: input.account_number,
    nickname: input.nickname ?? null,
    created_at: now,
    biller_name: biller.name,
    biller_category: biller.category,
  })
}

/** Oldest link first (biller_accounts_user_created_idx). */
const linkedOrder = keyset({
  columns: ['a.created_at', 'a.id'],
  dir: 'ASC',
  cursor: z.object({ at: z.number().int(), id: z.string() }),
  cursorOf: (row: AccountRow) => ({ at: row.created_at, id: row.id }),
  valuesOf: (c) => [c.at, c.id],
})

export async function listAccounts(
  d1: D1Database,
  userId: string,
  query: { limit: number; cursor?: string },
): Promise<{ items: AccountView[]; next_cursor: string | null }> {
  const page = keysetClause(linkedOrder, query.cursor)
  const { results } = await d1
    .prepare(
      `SELECT a.id, a.biller_id, a.account_number, a.nickname, a.created_at,
         r.name AS biller_name, r.category AS biller_category
       FROM biller_accounts a JOIN billers r ON r.id = a.biller_id
       WHERE a.user_id = ? ${page.after ? `AND ${page.after}` : ''}
       ORDER BY ${page.orderBy} LIMIT ?`,
    )
    .bind(userId, ...page.params, query.limit + 1)
    .all<AccountRow>()
  return keysetPage(results, query.limit, toAccountView, linkedOrder)
}

/** Only the person's own link is removed; other household members keep theirs. */
export async function unlinkAccount(
  d1: D1Database,
  userId: string,
  accountId: string,
): Promise<void> {
  const res = await d1
    .prepare('DELETE FROM biller_accounts WHERE id = ? AND user_id = ?')
    .bind(accountId, userId)
    .run()
  if (res.meta.changes !== 1) throw new ApiError('not_found', 'No such linked account')
}
