CREATE TABLE `alipay_trades` (
	`out_trade_no` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`amount` integer NOT NULL,
	`qr_code` text NOT NULL,
	`qr_expires_at` integer NOT NULL,
	`status` text NOT NULL,
	`trade_no` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "alipay_trades_status_known" CHECK(status IN ('open', 'paid', 'closed', 'refunded')),
	CONSTRAINT "alipay_trades_amount_positive" CHECK(amount > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alipay_trades_payment_id_unique` ON `alipay_trades` (`payment_id`);--> statement-breakpoint
CREATE INDEX `alipay_trades_open_idx` ON `alipay_trades` (`created_at`) WHERE status = 'open';