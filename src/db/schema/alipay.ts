import { sql } from 'drizzle-orm'
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'

/**
 * One Alipay face-to-face trade per payment (out_trade_no is the payment's id): the QR code the
 * TV shows, and where the trade stands on our side. `open` until the payment is settled by it
 * (`paid`), its trade is closed after the payment ended another way (`closed`), or money that
 * came in for an ended or already paid payment went back (`refunded`). The cron asks Alipay
 * about `open` ones.
 */
export const alipayTrades = sqliteTable(
  'alipay_trades',
  {
    outTradeNo: text('out_trade_no').primaryKey(),
    paymentId: text('payment_id').notNull().unique(),
    amount: integer('amount').notNull(),
    qrCode: text('qr_code').notNull(),
    qrExpiresAt: integer('qr_expires_at').notNull(),
    status: text('status').notNull(),
    tradeNo: text('trade_no'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    check('alipay_trades_status_known', sql`status IN ('open', 'paid', 'closed', 'refunded')`),
    check('alipay_trades_amount_positive', sql`amount > 0`),
    index('alipay_trades_open_idx').on(t.createdAt).where(sql`status = 'open'`),
  ],
)
