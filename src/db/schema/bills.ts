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

// Times are integer epoch milliseconds throughout the schema. Due dates are calendar dates
// ('YYYY-MM-DD', China time) because that is what a bill prints.

/** A utility that issues bills: its account-number pattern and the payment rules it accepts. */
export const billers = sqliteTable(
  'billers',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    category: text('category', {
      enum: ['electricity', 'water', 'gas', 'broadband', 'tv'],
    }).notNull(),
    /** An anchored, length-capped regular expression without nested quantifiers (checked on write). */
    accountPattern: text('account_pattern').notNull(),
    /** exact: only the amount due; partial: up to the amount due; any: any amount (prepaid top-ups). */
    amountRule: text('amount_rule', { enum: ['exact', 'partial', 'any'] }).notNull(),
    minAmount: integer('min_amount'),
    maxAmount: integer('max_amount'),
    payableAfterDue: integer('payable_after_due').notNull().default(1),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    check(
      'billers_category_known',
      sql`category IN ('electricity', 'water', 'gas', 'broadband', 'tv')`,
    ),
    check('billers_amount_rule_known', sql`amount_rule IN ('exact', 'partial', 'any')`),
    check(
      'billers_limits_valid',
      sql`(min_amount IS NULL OR min_amount > 0) AND (max_amount IS NULL OR max_amount > 0)
        AND (min_amount IS NULL OR max_amount IS NULL OR min_amount <= max_amount)
        AND payable_after_due IN (0, 1)`,
    ),
    index('billers_category_idx').on(t.category, t.id),
  ],
)

/**
 * Feed secrets, AES-GCM encrypted (HMAC verification needs the raw secret, so a hash would not do).
 * expires_at is null for the current secret; rotation gives the previous ones a grace period.
 */
export const billerFeedSecrets = sqliteTable(
  'biller_feed_secrets',
  {
    id: text('id').primaryKey(),
    billerId: text('biller_id').notNull(),
    /** `v1.<iv>.<ciphertext>` (base64url), additional data = biller id */
    ciphertext: text('ciphertext').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at'),
  },
  (t) => [index('biller_feed_secrets_biller_idx').on(t.billerId, t.expiresAt)],
)

/** Signed feed requests already applied, kept for the timestamp tolerance: a replay is refused. */
export const billerFeedNonces = sqliteTable(
  'biller_feed_nonces',
  {
    billerId: text('biller_id').notNull(),
    /** SHA-256 of `t.body`: the signed message, whichever v1 values carried it */
    digest: text('digest').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.billerId, t.digest] }),
    index('biller_feed_nonces_expiry_idx').on(t.expiresAt),
  ],
)

/**
 * One bill per (biller, bill_ref), upserted by the biller's feed. The CHECK ties status to the
 * amounts, so no write can leave a bill "paid" with money missing or "unpaid" with money applied.
 * version is bumped by every change; a payment started on one version cannot be confirmed on another.
 */
export const bills = sqliteTable(
  'bills',
  {
    id: text('id').primaryKey(),
    billerId: text('biller_id').notNull(),
    billRef: text('bill_ref').notNull(),
    accountNumber: text('account_number').notNull(),
    period: text('period').notNull(),
    amountDue: integer('amount_due').notNull(),
    amountPaid: integer('amount_paid').notNull().default(0),
    dueDate: text('due_date').notNull(),
    status: text('status', { enum: ['unpaid', 'partially_paid', 'paid'] })
      .notNull()
      .default('unpaid'),
    version: integer('version').notNull().default(1),
    paidAt: integer('paid_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    check('bills_amounts_valid', sql`amount_due > 0 AND amount_paid >= 0`),
    check(
      'bills_status_matches_amounts',
      sql`(status = 'unpaid' AND amount_paid = 0 AND paid_at IS NULL)
        OR (status = 'partially_paid' AND amount_paid > 0 AND amount_paid < amount_due AND paid_at IS NULL)
        OR (status = 'paid' AND amount_paid >= amount_due AND paid_at IS NOT NULL)`,
    ),
    check('bills_due_date_format', sql`due_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'`),
    uniqueIndex('bills_biller_ref_uq').on(t.billerId, t.billRef),
    index('bills_account_due_idx').on(t.billerId, t.accountNumber, t.dueDate, t.id),
    index('bills_open_due_idx').on(t.dueDate).where(sql`status IN ('unpaid', 'partially_paid')`),
  ],
)

/** A household member's link to a biller account (家里电费). Several members may link one number. */
export const billerAccounts = sqliteTable(
  'biller_accounts',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    billerId: text('biller_id').notNull(),
    accountNumber: text('account_number').notNull(),
    nickname: text('nickname'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('biller_accounts_user_account_uq').on(t.userId, t.billerId, t.accountNumber),
    index('biller_accounts_user_created_idx').on(t.userId, t.createdAt, t.id),
    index('biller_accounts_account_idx').on(t.billerId, t.accountNumber),
  ],
)

/**
 * Which bill version a payment was started for. Inserted with the payment, from a subquery that
 * only finds the bill at that version and still payable: a concurrent feed change aborts the batch.
 */
export const billPaymentAttempts = sqliteTable(
  'bill_payment_attempts',
  {
    paymentId: text('payment_id').primaryKey(),
    billId: text('bill_id').notNull(),
    billVersion: integer('bill_version').notNull(),
    amount: integer('amount').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    check('bill_payment_attempts_amount_positive', sql`amount > 0`),
    index('bill_payment_attempts_bill_idx').on(t.billId),
  ],
)

/**
 * The biller's reconciliation feed: append-only, one entry when a payment lands on a bill and one
 * per refund. Ids are derived from the payment (and the refunded total before the refund), so a
 * repeated settlement aborts its batch instead of being counted twice.
 */
export const billSettlements = sqliteTable(
  'bill_settlements',
  {
    id: text('id').primaryKey(),
    billerId: text('biller_id').notNull(),
    billId: text('bill_id').notNull(),
    paymentId: text('payment_id').notNull(),
    kind: text('kind', { enum: ['payment', 'refund'] }).notNull(),
    amount: integer('amount').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [
    check('bill_settlements_kind_known', sql`kind IN ('payment', 'refund')`),
    check('bill_settlements_amount_positive', sql`amount > 0`),
    index('bill_settlements_biller_at_idx').on(t.billerId, t.at, t.id),
    index('bill_settlements_payment_idx').on(t.paymentId),
  ],
)

/**
 * Outbox of things to tell a person (bill due soon). Unique per (user, kind, subject) so the cron
 * records each reminder once; delivered_at is set once a phone took it over the household channel.
 */
export const notifications = sqliteTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    kind: text('kind').notNull(),
    subjectId: text('subject_id').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    /** JSON with the fields a client needs to act (bill id, amount, due date) */
    data: text('data').notNull(),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    uniqueIndex('notifications_once_uq').on(t.userId, t.kind, t.subjectId),
    index('notifications_user_created_idx').on(t.userId, t.createdAt, t.id),
    index('notifications_undelivered_idx').on(t.createdAt).where(sql`delivered_at IS NULL`),
    // What the household channel hands a phone when it connects (src/channel): one seek.
    index('notifications_user_undelivered_idx')
      .on(t.userId, t.createdAt, t.id)
      .where(sql`delivered_at IS NULL`),
  ],
)
