import { sql } from 'drizzle-orm'
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { devices, users } from './auth'

/**
 * Single-use tickets that open a household channel WebSocket (`GET /v1/channel?ticket=`), so no
 * long-lived token travels in a URL. Only the SHA-256 of the ticket is stored; redeeming deletes
 * the row, so a ticket works once. Who it was issued to is kept as the token said it: a phone's
 * session (refresh family) or a device and its token_version, checked again when the socket opens.
 */
export const channelTickets = sqliteTable(
  'channel_tickets',
  {
    ticketHash: text('ticket_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    /** A TV's ticket: the device and its token_version when issued. */
    deviceId: text('device_id').references(() => devices.id),
    tokenVersion: integer('token_version'),
    /** A phone's ticket: the session (refresh family id) its access token carried as sid. */
    sessionId: text('session_id'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    check(
      'channel_tickets_one_holder',
      sql`(device_id IS NOT NULL AND token_version IS NOT NULL AND session_id IS NULL)
        OR (device_id IS NULL AND token_version IS NULL AND session_id IS NOT NULL)`,
    ),
    // Counts a household's live tickets (the cap) and lets the cron purge expired ones.
    index('channel_tickets_user_expires_idx').on(t.userId, t.expiresAt),
    index('channel_tickets_expires_idx').on(t.expiresAt),
  ],
)
