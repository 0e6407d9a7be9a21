CREATE TABLE `bill_payment_attempts` (
	`payment_id` text PRIMARY KEY NOT NULL,
	`bill_id` text NOT NULL,
	`bill_version` integer NOT NULL,
	`amount` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "bill_payment_attempts_amount_positive" CHECK(amount > 0)
);
--> statement-breakpoint
CREATE INDEX `bill_payment_attempts_bill_idx` ON `bill_payment_attempts` (`bill_id`);--> statement-breakpoint
CREATE TABLE `bill_settlements` (
	`id` text PRIMARY KEY NOT NULL,
	`biller_id` text NOT NULL,
	`bill_id` text NOT NULL,
	`payment_id` text NOT NULL,
	`kind` text NOT NULL,
	`amount` integer NOT NULL,
	`at` integer NOT NULL,
	CONSTRAINT "bill_settlements_kind_known" CHECK(kind IN ('payment', 'refund')),
	CONSTRAINT "bill_settlements_amount_positive" CHECK(amount > 0)
);
--> statement-breakpoint
CREATE INDEX `bill_settlements_biller_at_idx` ON `bill_settlements` (`biller_id`,`at`,`id`);--> statement-breakpoint
CREATE INDEX `bill_settlements_payment_idx` ON `bill_settlements` (`payment_id`);--> statement-breakpoint
CREATE TABLE `biller_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`biller_id` text NOT NULL,
	`account_number` text NOT NULL,
	`nickname` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `biller_accounts_user_account_uq` ON `biller_accounts` (`user_id`,`biller_id`,`account_number`);--> statement-breakpoint
CREATE INDEX `biller_accounts_user_created_idx` ON `biller_accounts` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `biller_accounts_account_idx` ON `biller_accounts` (`biller_id`,`account_number`);--> statement-breakpoint
CREATE TABLE `biller_feed_nonces` (
	`biller_id` text NOT NULL,
	`digest` text NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`biller_id`, `digest`)
);
--> statement-breakpoint
CREATE INDEX `biller_feed_nonces_expiry_idx` ON `biller_feed_nonces` (`expires_at`);--> statement-breakpoint
CREATE TABLE `biller_feed_secrets` (
	`id` text PRIMARY KEY NOT NULL,
	`biller_id` text NOT NULL,
	`ciphertext` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer
);
--> statement-breakpoint
CREATE INDEX `biller_feed_secrets_biller_idx` ON `biller_feed_secrets` (`biller_id`,`expires_at`);--> statement-breakpoint
CREATE TABLE `billers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`category` text NOT NULL,
	`account_pattern` text NOT NULL,
	`amount_rule` text NOT NULL,
	`min_amount` integer,
	`max_amount` integer,
	`payable_after_due` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "billers_category_known" CHECK(category IN ('electricity', 'water', 'gas', 'broadband', 'tv')),
	CONSTRAINT "billers_amount_rule_known" CHECK(amount_rule IN ('exact', 'partial', 'any')),
	CONSTRAINT "billers_limits_valid" CHECK((min_amount IS NULL OR min_amount > 0) AND (max_amount IS NULL OR max_amount > 0)
        AND (min_amount IS NULL OR max_amount IS NULL OR min_amount <= max_amount)
        AND payable_after_due IN (0, 1))
);
--> statement-breakpoint
CREATE INDEX `billers_category_idx` ON `billers` (`category`,`id`);--> statement-breakpoint
CREATE TABLE `bills` (
	`id` text PRIMARY KEY NOT NULL,
	`biller_id` text NOT NULL,
	`bill_ref` text NOT NULL,
	`account_number` text NOT NULL,
	`period` text NOT NULL,
	`amount_due` integer NOT NULL,
	`amount_paid` integer DEFAULT 0 NOT NULL,
	`due_date` text NOT NULL,
	`status` text DEFAULT 'unpaid' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`paid_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "bills_amounts_valid" CHECK(amount_due > 0 AND amount_paid >= 0),
	CONSTRAINT "bills_status_matches_amounts" CHECK((status = 'unpaid' AND amount_paid = 0 AND paid_at IS NULL)
        OR (status = 'partially_paid' AND amount_paid > 0 AND amount_paid < amount_due AND paid_at IS NULL)
        OR (status = 'paid' AND amount_paid >= amount_due AND paid_at IS NOT NULL)),
	CONSTRAINT "bills_due_date_format" CHECK(due_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]')
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bills_biller_ref_uq` ON `bills` (`biller_id`,`bill_ref`);--> statement-breakpoint
CREATE INDEX `bills_account_due_idx` ON `bills` (`biller_id`,`account_number`,`due_date`,`id`);--> statement-breakpoint
CREATE INDEX `bills_open_due_idx` ON `bills` (`due_date`) WHERE status IN ('unpaid', 'partially_paid');--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`subject_id` text NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`data` text NOT NULL,
	`created_at` integer NOT NULL,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_once_uq` ON `notifications` (`user_id`,`kind`,`subject_id`);--> statement-breakpoint
CREATE INDEX `notifications_user_created_idx` ON `notifications` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_undelivered_idx` ON `notifications` (`created_at`) WHERE delivered_at IS NULL;