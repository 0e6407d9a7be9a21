import { ApiError } from '../http/errors'
import { newId } from '../lib/ids'
import { errorText } from '../lib/d1-errors'
import { catalogChanged } from './catalog-link'
import { dealInsertSql } from './deal-rows'
import { dealRowChanged } from './hot-deal'
import type { CreateDealInput, UpdateDealInput } from './schemas'
import { findDeal, type DealWithProduct } from './store'

function invalid(path: string, message: string): ApiError {
  return new ApiError('validation_failed', `${path}: ${message}`, { errors: [{ path, message }] })
}

/** Creates a deal (see dealInsertSql for how list_price is taken from the product). */
export async function createDeal(
  env: Env,
  input: CreateDealInput,
  now: number,
): Promise<DealWithProduct> {
  const product = await env.DB.prepare('SELECT id, price FROM products WHERE id = ?')
    .bind(input.product_id)
    .first<{ id: string; price: number }>()
  if (!product) throw new ApiError('not_found', `No such product: ${input.product_id}`)
  const dealPrice = input.deal_price.amount
  if (dealPrice >= product.price) {
    throw invalid('deal_price', `must be below the list price (${product.price} fen)`)
  }
  const startsAt = Date.parse(input.starts_at)
  const endsAt = Date.parse(input.ends_at)
  if (endsAt <= now) throw invalid('ends_at', 'must be in the future')
  const team = input.mode === 'team'
  const id = newId('deal')
  const row = dealInsertSql(
    {
      productId: product.id,
      mode: input.mode,
      dealPrice,
      startsAt,
      endsAt,
      minGroupSize: team ? input.team_size! : input.min_group_size!,
      stock: input.stock,
      maxPerUser: input.max_per_user,
      teamSize: team ? input.team_size! : null,
      teamWindowMs: team ? input.team_window_seconds! * 1000 : null,
    },
    { id, now },
  )
  const insert = env.DB.prepare(row.sql).bind(...row.params)
  try {
    await env.DB.batch([insert, ...catalogChanged(env)])
  } catch (err) {
    if (/deals_prices|NOT NULL constraint failed: deals\.list_price/.test(errorText(err))) {
      throw new ApiError('conflict', 'The product changed while the deal was created; try again')
    }
    throw err
  }
  return (await findDeal(env.DB, id))!
}

/**
 * Edits a deal that has not ended. The UPDATE is guarded by the version the checks were made
 * against (two concurrent edits: one wins, the other is 409), and by the table's CHECKs: stock can
 * never drop below the units already reserved or sold. Lowering min_group_size to or below the
 * confirmed participants tips the deal at once.
 */
export async function updateDeal(
  env: Env,
  dealId: string,
  patch: UpdateDealInput,
  now: number,
): Promise<DealWithProduct> {
  const deal = await findDeal(env.DB, dealId)
  if (!deal) throw new ApiError('not_found', 'No such deal')
  if (deal.phase !== 'open' || deal.ends_at <= now) {
    throw new ApiError('deal_not_active', 'This deal has ended and can no longer be edited')
  }
  const startsAt = patch.starts_at === undefined ? deal.starts_at : Date.parse(patch.starts_at)
  const endsAt = patch.ends_at === undefined ? deal.ends_at : Date.parse(patch.ends_at)
  if (patch.starts_at !== undefined && deal.starts_at <= now && startsAt !== deal.starts_at) {
    throw new ApiError('conflict', 'The deal has started; its start can no longer move')
  }
  if (endsAt <= now) throw invalid('ends_at', 'must be in the future')
  if (endsAt <= startsAt) throw invalid('ends_at', 'must be after starts_at')
  const dealPrice = patch.deal_price?.amount ?? deal.deal_price
  if (dealPrice >= deal.list_price) {
    throw invalid('deal_price', `must be below the list price (${deal.list_price} fen)`)
  }
  const teamThreshold = deal.mode === 'team' && patch.min_group_size !== undefined
  if (teamThreshold && patch.min_group_size !== deal.min_group_size) {
    throw invalid('min_group_size', 'a team deal tips per team of team_size')
  }
  const stock = patch.stock ?? deal.stock
  const maxPerUser = patch.max_per_user ?? deal.max_per_user
  if (maxPerUser > stock) throw invalid('max_per_user', 'cannot exceed stock')
  const taken = deal.reserved + deal.sold
  if (stock < taken) throw stockBelowTaken(taken)
  const minGroupSize = patch.min_group_size ?? deal.min_group_size

  const update = env.DB.prepare(
    `UPDATE deals SET deal_price = ?, starts_at = ?, ends_at = ?, min_group_size = ?, stock = ?,
       max_per_user = ?,
       tipped_at = CASE WHEN tipped_at IS NULL AND mode = 'group' AND participants >= ?
                        THEN ? ELSE tipped_at END,
       version = version + 1, updated_at = ?
     WHERE id = ? AND version = ? AND phase = 'open'`,
  ).bind(
    dealPrice,
    startsAt,
    endsAt,
    minGroupSize,
    stock,
    maxPerUser,
    minGroupSize,
    now,
    now,
    dealId,
    deal.version,
  )
  // A team's window never outlasts its deal: a shortened deal shortens its forming teams.
  const capTeams = env.DB.prepare(
    `UPDATE deal_teams SET expires_at = MIN(expires_at, ?) WHERE deal_id = ? AND phase = 'forming'
       AND EXISTS (SELECT 1 FROM deals WHERE id = ? AND ends_at = ?)`,
  ).bind(endsAt, dealId, dealId, endsAt)
  let changes: number
  try {
    const [result] = await env.DB.batch([update, capTeams, ...catalogChanged(env)])
    changes = result!.meta.changes
  } catch (err) {
    if (/deals_no_oversell/.test(errorText(err))) {
      const current = await findDeal(env.DB, dealId)
      throw stockBelowTaken(current ? current.reserved + current.sold : taken)
    }
    throw err
  }
  if (changes !== 1) {
    throw new ApiError('conflict', 'The deal changed while being edited; read it and try again')
  }
  await dealRowChanged(env, dealId)
  return (await findDeal(env.DB, dealId))!
}

function stockBelowTaken(taken: number): ApiError {
  const detail = `stock cannot go below the ${taken} units already reserved or sold`
  const errors = [{ path: 'stock', message: `at least ${taken}` }]
  return new ApiError('conflict', detail, { errors })
}
