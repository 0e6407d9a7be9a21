import { z } from '@hono/zod-openapi'
import { billerUpsertSql, type BillerRow } from './rows'
import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
import { money } from '../lib/money'
import { keyset, keysetClause, keysetPage } from '../lib/pagination'
import { iso } from '../lib/time'
import { checkAccountPattern } from './pattern'
import type { BillerSchema, CreateBillerBody } from './schemas'
import { decryptFeedSecret, encryptFeedSecret, generateFeedSecret } from './secrets'

/** How long the secrets a rotation replaces keep verifying, so a biller can roll out the new one. */
export const ROTATION_GRACE_MS = 24 * 60 * 60 * 1000

export type { BillerRow } from './rows'

export type BillerView = z.infer<typeof BillerSchema>

export function toBillerView(row: BillerRow): BillerView {
  return {
    id: row.id,
    name: row.name,
    category: row.category,
    account_pattern: row.account_pattern,
    rules: {
      amount: row.amount_rule,
      min_amount: row.min_amount === null ? null : money(row.min_amount),
      max_amount: row.max_amount === null ? null : money(row.max_amount),
      payable_after_due: row.payable_after_due === 1,
    },
    created_at: iso(row.created_at),
  }
}

export async function findBiller(d1: D1Database, billerId: string): Promise<BillerRow | null> {
  return d1.prepare('SELECT * FROM billers WHERE id = ?').bind(billerId).first<BillerRow>()
}

/** Registers a biller and its first feed secret (returned once, stored only encrypted). */
export async function createBiller(
  env: Env,
  input: z.infer<typeof CreateBillerBody>,
  now: number,
): Promise<{ biller: BillerView; feedSecret: string }> {
  checkAccountPattern(input.account_pattern)
  const rules = { amount: 'exact' as const, payable_after_due: true, ...input.rules }
  const min = rules.min_amount?.amount ?? null
  const max = rules.max_amount?.amount ?? null
  if (min !== null && max !== null && min > max) {
    throw new ApiError('validation_failed', 'rules.min_amount must not exceed rules.max_amount', {
      errors: [{ path: 'rules.min_amount', message: 'must not exceed rules.max_amount' }],
    })
  }
  const row: BillerRow = {
    id: newId('biller'),
    name: input.name,
    category: input.category,
    account_pattern: input.account_pattern,
    amount_rule: rules.amount,
    min_amount: min,
    max_amount: max,
    payable_after_due: rules.payable_after_due ? 1 : 0,
    created_at: now,
    updated_at: now,
  }
  const feedSecret = generateFeedSecret()
  const ciphertext = await encryptFeedSecret(env, row.id, feedSecret)
  const insert = billerUpsertSql(row)
  await env.DB.batch([
    env.DB.prepare(insert.sql).bind(...insert.params),
    insertSecretStatement(env, row.id, ciphertext, now),
  ])
  return { biller: toBillerView(row), feedSecret }
}

/**
 * A new current secret. The one it replaces keeps verifying for ROTATION_GRACE_MS so the biller can
 * roll out the new one, or stops at once with `revokePrevious` (a leaked secret). Either way at
 * most one previous secret is left: any secret still in the grace of an earlier rotation expires
 * now, so rotating twice cuts off the first secret.
 */
export async function rotateFeedSecret(
  env: Env,
  billerId: string,
  now: number,
  opts: { revokePrevious?: boolean } = {},
): Promise<{ feedSecret: string; previousValidUntil: number }> {
  if (!(await findBiller(env.DB, billerId))) throw new ApiError('not_found', 'No such biller')
  const feedSecret = generateFeedSecret()
  const ciphertext = await encryptFeedSecret(env, billerId, feedSecret)
  const previousValidUntil = opts.revokePrevious ? now : now + ROTATION_GRACE_MS
  await env.DB.batch([
    env.DB.prepare(
      `UPDATE biller_feed_secrets SET expires_at = ?
       WHERE biller_id = ? AND expires_at IS NOT NULL AND expires_at > ?`,
    ).bind(now, billerId, now),
    env.DB.prepare(
      'UPDATE biller_feed_secrets SET expires_at = ? WHERE biller_id = ? AND expires_at IS NULL',
    ).bind(previousValidUntil, billerId),
    insertSecretStatement(env, billerId, ciphertext, now),
  ])
  return { feedSecret, previousValidUntil }
}

function insertSecretStatement(env: Env, billerId: string, ciphertext: string, now: number) {
  return env.DB.prepare(
    'INSERT INTO biller_feed_secrets (id, biller_id, ciphertext, created_at, expires_at) VALUES (?, ?, ?, ?, NULL)',
  ).bind(newId('feedSecret'), billerId, ciphertext, now)
}

/** The secrets that verify a signature now: the current one and any still in their grace period. */
export async function validFeedSecrets(env: Env, billerId: string, now: number): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT ciphertext FROM biller_feed_secrets
     WHERE biller_id = ? AND (expires_at IS NULL OR expires_at > ?)`,
  )
    .bind(billerId, now)
    .all<{ ciphertext: string }>()
  const secrets = await Promise.all(
    results.map((r) => decryptFeedSecret(env, billerId, r.ciphertext)),
  )
  return secrets.filter((s): s is string => s !== null)
}

/**
 * By id. Every id is after '', and the first page says so: the billers list has no equality
 * prefix, so without that bound SQLite would walk the whole index rather than seek in it.
 */
const billerOrder = keyset({
  columns: ['id'],
  dir: 'ASC',
  cursor: z.object({ id: z.string() }),
  cursorOf: (row: BillerRow) => ({ id: row.id }),
  valuesOf: (c) => [c.id],
  start: { id: '' },
})

export async function listBillers(
  d1: D1Database,
  query: { category?: BillerRow['category']; limit: number; cursor?: string },
): Promise<{ items: BillerView[]; next_cursor: string | null }> {
  const page = keysetClause(billerOrder, query.cursor)
  const where = [query.category ? 'category = ?' : null, page.after].filter(Boolean)
  const { results } = await d1
    .prepare(`SELECT * FROM billers WHERE ${where.join(' AND ')} ORDER BY ${page.orderBy} LIMIT ?`)
    .bind(...(query.category ? [query.category] : []), ...page.params, query.limit + 1)
    .all<BillerRow>()
  return keysetPage(results, query.limit, toBillerView, billerOrder)
}
