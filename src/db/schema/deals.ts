import { sql } from 'drizzle-orm'
import {
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core'

// Times are integer epoch milliseconds throughout the schema.

/**
 * A group-buy deal. `reserved` counts the units of open participations (awaiting confirmation or
 * held), `sold` the units captured; the CHECK deals_no_oversell makes "reserved + sold <= stock" a
 * property of the table, so a join that would oversell aborts its whole batch whatever the
 * concurrency. `phase` is what settlement decided (open until the window closes); the status
 * clients see (upcoming, active, tipped, sold_out, ...) is derived from it, the clock and the
 * counters.
 */
export const deals = sqliteTable(
  'deals',
  {
    id: text('id').primaryKey(),
    productId: text('product_id').notNull(),
    /** 'group': one threshold for the whole deal; 'team': Pinduoduo teams that each must fill. */
    mode: text('mode', { enum: ['group', 'team'] }).notNull(),
    dealPrice: integer('deal_price').notNull(),
    /** The product's price when the deal was created: the "was" price the TV strikes through. */
    listPrice: integer('list_price').notNull(),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    /** Confirmed participations needed to tip; in team mode the team size. */
    minGroupSize: integer('min_group_size').notNull(),
    stock: integer('stock').notNull(),
    maxPerUser: integer('max_per_user').notNull(),
    teamSize: integer('team_size'),
    teamWindowMs: integer('team_window_ms'),
    reserved: integer('reserved').notNull().default(0),
    sold: integer('sold').notNull().default(0),
    /** Confirmed (held or captured) participations. */
    participants: integer('participants').notNull().default(0),
    phase: text('phase', { enum: ['open', 'succeeded', 'failed'] })
      .notNull()
      .default('open'),
    /** When confirmed participants reached min_group_size (team mode: the first team filled). */
    tippedAt: integer('tipped_at'),
    /** When settlement closed the window (phase left 'open'). */
    closedAt: integer('closed_at'),
    /** When the last open participation of a closed deal was captured or released. */
    settledAt: integer('settled_at'),
    /** Bumped by admin edits only, for optimistic concurrency between two edits. */
    version: integer('version').notNull().default(1),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    check('deals_prices', sql`deal_price > 0 AND deal_price < list_price`),
    check('deals_window', sql`ends_at > starts_at`),
    check('deals_limits', sql`min_group_size >= 1 AND stock >= 1 AND max_per_user >= 1`),
    check(
      'deals_mode',
      sql`(mode = 'group' AND team_size IS NULL AND team_window_ms IS NULL)
        OR (mode = 'team' AND team_size >= 2 AND team_window_ms > 0 AND min_group_size = team_size)`,
    ),
    check('deals_no_oversell', sql`reserved >= 0 AND sold >= 0 AND reserved + sold <= stock`),
    check('deals_participants', sql`participants >= 0`),
    check('deals_phase', sql`phase IN ('open', 'succeeded', 'failed')`),
    index('deals_ends_idx').on(t.endsAt, t.id),
    index('deals_starts_idx').on(t.startsAt, t.id),
    index('deals_product_idx').on(t.productId, t.endsAt),
    index('deals_closing_idx').on(t.endsAt).where(sql`phase = 'open'`),
    index('deals_open_units_idx').on(t.id).where(sql`reserved > 0`),
    index('deals_unsettled_idx').on(t.id).where(sql`phase <> 'open' AND settled_at IS NULL`),
  ],
)

/**
 * One join: `quantity` units at `unit_price`, paid by one payment (purpose 'deal', purpose id =
 * this id). pending_payment → confirmed (funds held) → paid (captured, order created), or
 * → released (payment expired, canceled or failed; units given back); paid → refunded.
 */
export const dealParticipations = sqliteTable(
  'deal_participations',
  {
    id: text('id').primaryKey(),
    dealId: text('deal_id').notNull(),
    userId: text('user_id').notNull(),
    startedByDeviceId: text('started_by_device_id'),
    teamId: text('team_id'),
    quantity: integer('quantity').notNull(),
    /** NOT NULL and written from a subquery that finds the deal only while it can be joined. */
    unitPrice: integer('unit_price').notNull(),
    paymentId: text('payment_id').notNull(),
    status: text('status', {
      enum: ['pending_payment', 'confirmed', 'paid', 'released', 'refunded'],
    }).notNull(),
    /** JSON, when the phone supplied one at confirmation; copied onto the order. */
    shippingAddress: text('shipping_address'),
    orderId: text('order_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    confirmedAt: integer('confirmed_at'),
    closedAt: integer('closed_at'),
  },
  (t) => [
    check('deal_participations_quantity', sql`quantity >= 1 AND unit_price > 0`),
    check(
      'deal_participations_status',
      sql`status IN ('pending_payment', 'confirmed', 'paid', 'released', 'refunded')`,
    ),
    index('deal_participations_deal_status_idx').on(t.dealId, t.status),
    index('deal_participations_team_status_idx')
      .on(t.teamId, t.status)
      .where(sql`team_id IS NOT NULL`),
    index('deal_participations_user_idx').on(t.userId, t.createdAt, t.id),
    // The same person cannot hold two places in one team (a released place may be taken again).
    uniqueIndex('deal_participations_team_user_uq')
      .on(t.teamId, t.userId)
      .where(sql`team_id IS NOT NULL AND status IN ('pending_payment', 'confirmed', 'paid')`),
  ],
)

/**
 * Units one person has in one deal (open or paid). The upsert on join copies the deal's current
 * max_per_user into max_units, so the CHECK enforces the cap in the join's own batch.
 */
export const dealBuyers = sqliteTable(
  'deal_buyers',
  {
    dealId: text('deal_id').notNull(),
    userId: text('user_id').notNull(),
    units: integer('units').notNull(),
    maxUnits: integer('max_units').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.dealId, t.userId] }),
    check('deal_buyers_within_limit', sql`units >= 0 AND units <= max_units`),
  ],
)

/**
 * A team of a team-mode deal: `members` open or paid places (at most `size`), `confirmed` of them
 * confirmed or paid. forming → filled when confirmed reaches size before expires_at, or → failed.
 */
export const dealTeams = sqliteTable(
  'deal_teams',
  {
    id: text('id').primaryKey(),
    dealId: text('deal_id').notNull(),
    /** 6 characters from an unambiguous uppercase alphabet, typed on a TV remote. */
    code: text('code').notNull(),
    size: integer('size').notNull(),
    members: integer('members').notNull().default(0),
    confirmed: integer('confirmed').notNull().default(0),
    phase: text('phase', { enum: ['forming', 'filled', 'failed'] })
      .notNull()
      .default('forming'),
    openedByUserId: text('opened_by_user_id').notNull(),
    openedAt: integer('opened_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    filledAt: integer('filled_at'),
    closedAt: integer('closed_at'),
  },
  (t) => [
    check(
      'deal_teams_members',
      sql`members >= 0 AND members <= size AND confirmed >= 0 AND confirmed <= members`,
    ),
    check('deal_teams_phase', sql`phase IN ('forming', 'filled', 'failed')`),
    uniqueIndex('deal_teams_code_uq').on(t.code),
    index('deal_teams_deal_idx').on(t.dealId, t.openedAt),
    index('deal_teams_expiry_idx').on(t.expiresAt).where(sql`phase = 'forming'`),
    index('deal_teams_release_idx').on(t.id).where(sql`phase = 'failed' AND members > 0`),
  ],
)
