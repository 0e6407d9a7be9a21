import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

// Times are integer epoch milliseconds throughout the schema.

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  phone: text('phone').notNull().unique(),
  /** `pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>` */
  passwordHash: text('password_hash').notNull(),
  /** Same format; the PIN is peppered with the PIN_PEPPER secret before hashing. */
  pinHash: text('pin_hash'),
  pinFailedAttempts: integer('pin_failed_attempts').notNull().default(0),
  pinLockedUntil: integer('pin_locked_until'),
  createdAt: integer('created_at').notNull(),
})

/** A TV or set-top box paired to a user. Bumping token_version (or revoking) kills its tokens at once. */
export const devices = sqliteTable(
  'devices',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    clientId: text('client_id').notNull(),
    name: text('name').notNull(),
    tokenVersion: integer('token_version').notNull().default(1),
    revokedAt: integer('revoked_at'),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at'),
  },
  (t) => [
    // Serves /v1/me/devices in keyset order (created_at DESC, id DESC) without a sort.
    index('devices_user_list_idx').on(t.userId, t.createdAt, t.id).where(sql`revoked_at IS NULL`),
  ],
)

/** The TV makers and boxes allowed to start pairing (RFC 8628 public clients), seeded by migration. */
export const oauthClients = sqliteTable('oauth_clients', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  enabled: integer('enabled').notNull().default(1),
  createdAt: integer('created_at').notNull(),
})

/**
 * One RFC 8628 pairing attempt. status: pending → approved | denied → consumed, or → expired.
 * consumed and expired are terminal: the device_code is then invalid_grant.
 */
export const deviceAuthorizations = sqliteTable(
  'device_authorizations',
  {
    id: text('id').primaryKey(),
    clientId: text('client_id')
      .notNull()
      .references(() => oauthClients.id),
    /** SHA-256 (hex) of the device_code; the code itself is never stored. */
    deviceCodeHash: text('device_code_hash').notNull(),
    /** Normalized: 8 consonants, no dash. */
    userCode: text('user_code').notNull(),
    deviceName: text('device_name').notNull(),
    status: text('status', {
      enum: ['pending', 'approved', 'denied', 'consumed', 'expired'],
    }).notNull(),
    intervalSeconds: integer('interval_seconds').notNull(),
    lastPolledAt: integer('last_polled_at'),
    userId: text('user_id').references(() => users.id),
    /** Set at approval: the device row created for this pairing. */
    deviceId: text('device_id'),
    /** Marks which token exchange consumed the code, so the guarded insert knows it won. */
    consumedBy: text('consumed_by'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    decidedAt: integer('decided_at'),
  },
  (t) => [
    uniqueIndex('device_authorizations_code_hash_unique').on(t.deviceCodeHash),
    uniqueIndex('device_authorizations_pending_user_code')
      .on(t.userCode)
      .where(sql`status = 'pending'`),
    index('device_authorizations_open_expiry_idx')
      .on(t.expiresAt)
      .where(sql`status IN ('pending', 'approved', 'denied')`),
    // Cron: finished pairings to unpair or delete.
    index('device_authorizations_expiry_idx').on(t.expiresAt, t.status),
  ],
)

/**
 * Opaque refresh tokens, stored as SHA-256 hashes. Each use rotates: the old row gets used_at and
 * replaced_by; presenting a used token again revokes every token of its family.
 * device_id NULL = a user (phone) token; otherwise it belongs to that paired device.
 */
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    familyId: text('family_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    deviceId: text('device_id').references(() => devices.id),
    tokenHash: text('token_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    replacedBy: text('replaced_by'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [
    uniqueIndex('refresh_tokens_hash_unique').on(t.tokenHash),
    // Revoking a family, and the per-request check that a phone session is live: a seek for a
    // row with revoked_at IS NULL and one for revoked_at IS NOT NULL, however long the family.
    index('refresh_tokens_family_revoked_idx').on(t.familyId, t.revokedAt),
    index('refresh_tokens_device_idx').on(t.deviceId).where(sql`device_id IS NOT NULL`),
    index('refresh_tokens_expiry_idx').on(t.expiresAt),
  ],
)

/** Attempt counters per fixed window, read two at a time as a sliding window (src/http/rate-limit.ts). */
export const rateLimits = sqliteTable(
  'rate_limits',
  {
    key: text('key').notNull(),
    windowStart: integer('window_start').notNull(),
    count: integer('count').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.key, t.windowStart] }),
    index('rate_limits_expiry_idx').on(t.expiresAt),
  ],
)
