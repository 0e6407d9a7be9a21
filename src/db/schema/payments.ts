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

const OPEN = sql`status IN ('requires_confirmation', 'requires_capture')`

/** A payment intent: started by a TV or the user for one purpose, confirmed only on the phone. */
export const payments = sqliteTable(
  'payments',
  {
    id: text('id').primaryKey(),
    purposeType: text('purpose_type', { enum: ['order', 'deal', 'bill'] }).notNull(),
    purposeId: text('purpose_id').notNull(),
    /** The person who pays and who alone can confirm. */
    userId: text('user_id').notNull(),
    /** The device that started it, or null when the user started it from the phone. */
    startedByDeviceId: text('started_by_device_id'),
    amount: integer('amount').notNull(),
    currency: text('currency', { enum: ['CNY'] })
      .notNull()
      .default('CNY'),
    capture: text('capture', { enum: ['automatic', 'manual'] }).notNull(),
    payeeKind: text('payee_kind', { enum: ['merchant', 'biller'] }).notNull(),
    payeeBillerId: text('payee_biller_id'),
    status: text('status', {
      enum: [
        'requires_confirmation',
        'requires_capture',
        'succeeded',
        'canceled',
        'expired',
        'failed',
        'partially_refunded',
        'refunded',
      ],
    }).notNull(),
    /** Bumped by every transition; payment_transitions(payment_id, version) is unique. */
    version: integer('version').notNull().default(1),
    /** Short code the TV shows so the person can match the phone prompt to the screen. */
    confirmationCode: text('confirmation_code').notNull(),
    /** 'wallet' or a payment_methods id, set on confirmation. */
    method: text('method'),
    /** The provider's authorization reference for tokenized methods. */
    providerRef: text('provider_ref'),
    refundedAmount: integer('refunded_amount').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    check(
      'payments_amount_positive',
      sql`amount > 0 AND refunded_amount >= 0 AND refunded_amount <= amount`,
    ),
    check('payments_capture_known', sql`capture IN ('automatic', 'manual')`),
    check('payments_purpose_known', sql`purpose_type IN ('order', 'deal', 'bill')`),
    check(
      'payments_payee_known',
      sql`(payee_kind = 'merchant' AND payee_biller_id IS NULL) OR (payee_kind = 'biller' AND payee_biller_id IS NOT NULL)`,
    ),
    check(
      'payments_status_known',
      sql`status IN ('requires_confirmation', 'requires_capture', 'succeeded', 'canceled', 'expired', 'failed', 'partially_refunded', 'refunded')`,
    ),
    // At most one open payment per purpose: concurrent duplicates fail in SQL.
    uniqueIndex('payments_open_purpose_uq').on(t.purposeType, t.purposeId).where(OPEN),
    index('payments_purpose_idx').on(t.purposeType, t.purposeId, t.createdAt),
    index('payments_user_status_idx').on(t.userId, t.status, t.createdAt, t.id),
    index('payments_user_created_idx').on(t.userId, t.createdAt, t.id),
    index('payments_expiry_idx').on(t.expiresAt).where(sql`status = 'requires_confirmation'`),
  ],
)

/**
 * One row per state change. The unique (payment_id, version) makes concurrent transitions of one
 * payment collide, and the CHECK is the state table itself, enforced by SQLite.
 */
export const paymentTransitions = sqliteTable(
  'payment_transitions',
  {
    paymentId: text('payment_id').notNull(),
    version: integer('version').notNull(),
    fromStatus: text('from_status').notNull(),
    toStatus: text('to_status').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.paymentId, t.version] }),
    check(
      'payment_transitions_allowed',
      sql`(from_status = 'requires_confirmation' AND to_status IN ('succeeded', 'requires_capture', 'canceled', 'expired', 'failed'))
        OR (from_status = 'requires_capture' AND to_status IN ('succeeded', 'canceled', 'failed'))
        OR (from_status IN ('succeeded', 'partially_refunded') AND to_status IN ('partially_refunded', 'refunded'))`,
    ),
  ],
)

/**
 * Ledger accounts. balance = credits - debits, so the sum over all accounts is always zero.
 * Only the external accounts (funding, provider) may go negative: the CHECK aborts any batch
 * that would overdraw a wallet, a hold, the merchant or a biller.
 */
export const ledgerAccounts = sqliteTable(
  'ledger_accounts',
  {
    id: text('id').primaryKey(),
    kind: text('kind', {
      enum: [
        'wallet_available',
        'wallet_held',
        'merchant_receivable',
        'biller_payable',
        'funding',
        'provider',
        'provider_authorized',
      ],
    }).notNull(),
    /** user id, biller id or provider name, by kind */
    ownerId: text('owner_id'),
    balance: integer('balance').notNull().default(0),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    check(
      'ledger_accounts_kind_known',
      sql`kind IN ('wallet_available', 'wallet_held', 'merchant_receivable', 'biller_payable', 'funding', 'provider', 'provider_authorized')`,
    ),
    check('ledger_accounts_no_overdraft', sql`balance >= 0 OR kind IN ('funding', 'provider')`),
    // Every balance, the funding and provider accounts too, reads back into a JS number exactly.
    check(
      'ledger_accounts_balance_bounded',
      sql`balance BETWEEN -9007199254740991 AND 9007199254740991`,
    ),
    index('ledger_accounts_owner_idx').on(t.ownerId, t.kind),
  ],
)

/** Immutable transfers: each debits one account and credits another by the same amount. */
export const ledgerTransfers = sqliteTable(
  'ledger_transfers',
  {
    id: text('id').primaryKey(),
    paymentId: text('payment_id'),
    kind: text('kind', { enum: ['credit', 'hold', 'capture', 'release', 'refund'] }).notNull(),
    debitAccountId: text('debit_account_id').notNull(),
    creditAccountId: text('credit_account_id').notNull(),
    amount: integer('amount').notNull(),
    /** hold/capture/release once per payment; refunds per refunded-so-far; credits per idempotency key. */
    dedupeKey: text('dedupe_key').notNull(),
    memo: text('memo'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    check('ledger_transfers_amount_positive', sql`amount > 0`),
    check('ledger_transfers_two_accounts', sql`debit_account_id <> credit_account_id`),
    check(
      'ledger_transfers_kind_known',
      sql`kind IN ('credit', 'hold', 'capture', 'release', 'refund')`,
    ),
    uniqueIndex('ledger_transfers_dedupe_uq').on(t.dedupeKey),
    index('ledger_transfers_payment_idx').on(t.paymentId),
    index('ledger_transfers_debit_idx').on(t.debitAccountId, t.createdAt),
    index('ledger_transfers_credit_idx').on(t.creditAccountId, t.createdAt),
  ],
)

/** Tokenized payment methods: only the provider token and display details, never a card number. */
export const paymentMethods = sqliteTable(
  'payment_methods',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    provider: text('provider').notNull(),
    token: text('token').notNull(),
    brand: text('brand').notNull(),
    last4: text('last4').notNull(),
    expMonth: integer('exp_month').notNull(),
    expYear: integer('exp_year').notNull(),
    createdAt: integer('created_at').notNull(),
    deletedAt: integer('deleted_at'),
  },
  (t) => [
    index('payment_methods_user_idx').on(t.userId, t.createdAt).where(sql`deleted_at IS NULL`),
  ],
)

/**
 * The sandbox gateway's own book of operations, keyed by the idempotency key we send it: a retry
 * after a timeout finds the first result instead of charging twice.
 */
export const sandboxOperations = sqliteTable(
  'sandbox_operations',
  {
    idempotencyKey: text('idempotency_key').primaryKey(),
    op: text('op', { enum: ['authorize', 'capture', 'void', 'refund'] }).notNull(),
    token: text('token').notNull(),
    amount: integer('amount').notNull(),
    ref: text('ref').notNull(),
    outcome: text('outcome', { enum: ['ok', 'declined'] }).notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('sandbox_operations_ref_idx').on(t.ref)],
)

/**
 * Gateway calls that give a customer's money back (a void of an authorization, a refund of a
 * capture) and failed when first made: owed until the gateway answers, retried by the cron under
 * the call's own idempotency key, so the gateway does each at most once.
 */
export const gatewayCompensations = sqliteTable(
  'gateway_compensations',
  {
    idempotencyKey: text('idempotency_key').primaryKey(),
    paymentId: text('payment_id')
      .notNull()
      .references(() => payments.id),
    provider: text('provider').notNull(),
    ref: text('ref').notNull(),
    action: text('action', { enum: ['void', 'refund'] }).notNull(),
    amount: integer('amount').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastError: text('last_error'),
    /** null while owed; ok: given back; declined: the gateway had nothing to give back. */
    outcome: text('outcome', { enum: ['ok', 'declined'] }),
    createdAt: integer('created_at').notNull(),
    doneAt: integer('done_at'),
  },
  (t) => [
    check('gateway_compensations_action_known', sql`action IN ('void', 'refund')`),
    check(
      'gateway_compensations_valid',
      sql`amount > 0 AND attempts >= 0 AND (outcome IS NULL OR outcome IN ('ok', 'declined'))
        AND (outcome IS NULL) = (done_at IS NULL)`,
    ),
    index('gateway_compensations_due_idx').on(t.nextAttemptAt).where(sql`done_at IS NULL`),
  ],
)

/** Idempotency-Key claims and stored first responses, per principal and route. */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    /** null while the first request is in progress */
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    responseType: text('response_type'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    index('idempotency_keys_expiry_idx').on(t.expiresAt),
  ],
)
