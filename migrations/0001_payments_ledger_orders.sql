CREATE TABLE `order_items` (
	`order_id` text NOT NULL,
	`line` integer NOT NULL,
	`product_id` text NOT NULL,
	`title` text NOT NULL,
	`unit_price` integer NOT NULL,
	`quantity` integer NOT NULL,
	PRIMARY KEY(`order_id`, `line`),
	CONSTRAINT "order_items_quantity_positive" CHECK(quantity > 0 AND unit_price >= 0)
);
--> statement-breakpoint
CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`started_by_device_id` text,
	`status` text NOT NULL,
	`total` integer NOT NULL,
	`currency` text DEFAULT 'CNY' NOT NULL,
	`payment_id` text NOT NULL,
	`shipping_address` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "orders_status_known" CHECK(status IN ('pending_payment', 'paid', 'canceled', 'expired')),
	CONSTRAINT "orders_total_positive" CHECK(total > 0)
);
--> statement-breakpoint
CREATE INDEX `orders_user_created_idx` ON `orders` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`response_type` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expiry_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `ledger_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`owner_id` text,
	`balance` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "ledger_accounts_kind_known" CHECK(kind IN ('wallet_available', 'wallet_held', 'merchant_receivable', 'biller_payable', 'funding', 'provider', 'provider_authorized')),
	CONSTRAINT "ledger_accounts_no_overdraft" CHECK(balance >= 0 OR kind IN ('funding', 'provider'))
);
--> statement-breakpoint
CREATE INDEX `ledger_accounts_owner_idx` ON `ledger_accounts` (`owner_id`,`kind`);--> statement-breakpoint
CREATE TABLE `ledger_transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text,
	`kind` text NOT NULL,
	`debit_account_id` text NOT NULL,
	`credit_account_id` text NOT NULL,
	`amount` integer NOT NULL,
	`dedupe_key` text NOT NULL,
	`memo` text,
	`created_at` integer NOT NULL,
	CONSTRAINT "ledger_transfers_amount_positive" CHECK(amount > 0),
	CONSTRAINT "ledger_transfers_two_accounts" CHECK(debit_account_id <> credit_account_id),
	CONSTRAINT "ledger_transfers_kind_known" CHECK(kind IN ('credit', 'hold', 'capture', 'release', 'refund'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_transfers_dedupe_uq` ON `ledger_transfers` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `ledger_transfers_payment_idx` ON `ledger_transfers` (`payment_id`);--> statement-breakpoint
CREATE INDEX `ledger_transfers_debit_idx` ON `ledger_transfers` (`debit_account_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ledger_transfers_credit_idx` ON `ledger_transfers` (`credit_account_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `payment_methods` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`provider` text NOT NULL,
	`token` text NOT NULL,
	`brand` text NOT NULL,
	`last4` text NOT NULL,
	`exp_month` integer NOT NULL,
	`exp_year` integer NOT NULL,
	`created_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `payment_methods_user_idx` ON `payment_methods` (`user_id`,`created_at`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE TABLE `payment_transitions` (
	`payment_id` text NOT NULL,
	`version` integer NOT NULL,
	`from_status` text NOT NULL,
	`to_status` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`payment_id`, `version`),
	CONSTRAINT "payment_transitions_allowed" CHECK((from_status = 'requires_confirmation' AND to_status IN ('succeeded', 'requires_capture', 'canceled', 'expired', 'failed'))
        OR (from_status = 'requires_capture' AND to_status IN ('succeeded', 'canceled', 'failed'))
        OR (from_status IN ('succeeded', 'refunded') AND to_status = 'refunded'))
);
--> statement-breakpoint
CREATE TABLE `payments` (
	`id` text PRIMARY KEY NOT NULL,
	`purpose_type` text NOT NULL,
	`purpose_id` text NOT NULL,
	`user_id` text NOT NULL,
	`started_by_device_id` text,
	`amount` integer NOT NULL,
	`currency` text DEFAULT 'CNY' NOT NULL,
	`capture` text NOT NULL,
	`payee_kind` text NOT NULL,
	`payee_biller_id` text,
	`status` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`confirmation_code` text NOT NULL,
	`method` text,
	`provider_ref` text,
	`refunded_amount` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	CONSTRAINT "payments_amount_positive" CHECK(amount > 0 AND refunded_amount >= 0 AND refunded_amount <= amount),
	CONSTRAINT "payments_capture_known" CHECK(capture IN ('automatic', 'manual')),
	CONSTRAINT "payments_purpose_known" CHECK(purpose_type IN ('order', 'deal', 'bill')),
	CONSTRAINT "payments_payee_known" CHECK((payee_kind = 'merchant' AND payee_biller_id IS NULL) OR (payee_kind = 'biller' AND payee_biller_id IS NOT NULL)),
	CONSTRAINT "payments_status_known" CHECK(status IN ('requires_confirmation', 'requires_capture', 'succeeded', 'canceled', 'expired', 'failed', 'refunded'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payments_open_purpose_uq` ON `payments` (`purpose_type`,`purpose_id`) WHERE status IN ('requires_confirmation', 'requires_capture');--> statement-breakpoint
CREATE INDEX `payments_purpose_idx` ON `payments` (`purpose_type`,`purpose_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `payments_user_status_idx` ON `payments` (`user_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payments_user_created_idx` ON `payments` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payments_expiry_idx` ON `payments` (`expires_at`) WHERE status = 'requires_confirmation';--> statement-breakpoint
CREATE TABLE `sandbox_operations` (
	`idempotency_key` text PRIMARY KEY NOT NULL,
	`op` text NOT NULL,
	`token` text NOT NULL,
	`amount` integer NOT NULL,
	`ref` text NOT NULL,
	`outcome` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sandbox_operations_ref_idx` ON `sandbox_operations` (`ref`);