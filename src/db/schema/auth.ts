import { sql } from 'drizzle-orm'
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'

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
  (t) => [index('devices_user_idx').on(t.userId, t.createdAt).where(sql`revoked_at IS NULL`)],
)
