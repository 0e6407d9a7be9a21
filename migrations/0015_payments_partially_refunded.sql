-- A partial refund leaves a payment `partially_refunded` (the contract), a full one `refunded`,
-- which is now final. New CHECKs on payments and payment_transitions mean a rebuild of both.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_payment_transitions` (
	`payment_id` text NOT NULL,
	`version` integer NOT NULL,
	`from_status` text NOT NULL,
	`to_status` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`payment_id`, `version`),
	CONSTRAINT "payment_transitions_allowed" CHECK((from_status = 'requires_confirmation' AND to_status IN ('succeeded', 'requires_capture', 'canceled', 'expired', 'failed'))
        OR (from_status = 'requires_capture' AND to_status IN ('succeeded', 'canceled', 'failed'))
        OR (from_status IN ('succeeded', 'partially_refunded') AND to_status IN ('partially_refunded', 'refunded')))
);
--> statement-breakpoint
-- History in the new words: until now a partial refund was `refunded` too (and a further part
-- refunded → refunded). A refund is `refunded` only when it was the payment's last transition and
-- left nothing to refund; every other one was partial, and so was the state a refund started from.
INSERT INTO `__new_payment_transitions`("payment_id", "version", "from_status", "to_status", "at")
SELECT t."payment_id", t."version",
       CASE WHEN t."from_status" = 'refunded' THEN 'partially_refunded' ELSE t."from_status" END,
       CASE WHEN t."to_status" = 'refunded'
             AND NOT (t."version" = p."version" AND p."refunded_amount" = p."amount")
            THEN 'partially_refunded' ELSE t."to_status" END,
       t."at"
FROM `payment_transitions` AS t LEFT JOIN `payments` AS p ON p."id" = t."payment_id";--> statement-breakpoint
DROP TABLE `payment_transitions`;--> statement-breakpoint
ALTER TABLE `__new_payment_transitions` RENAME TO `payment_transitions`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE TABLE `__new_payments` (
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
	CONSTRAINT "payments_status_known" CHECK(status IN ('requires_confirmation', 'requires_capture', 'succeeded', 'canceled', 'expired', 'failed', 'partially_refunded', 'refunded'))
);
--> statement-breakpoint
INSERT INTO `__new_payments`("id", "purpose_type", "purpose_id", "user_id", "started_by_device_id", "amount", "currency", "capture", "payee_kind", "payee_biller_id", "status", "version", "confirmation_code", "method", "provider_ref", "refunded_amount", "created_at", "updated_at", "expires_at")
SELECT "id", "purpose_type", "purpose_id", "user_id", "started_by_device_id", "amount", "currency", "capture", "payee_kind", "payee_biller_id",
       CASE WHEN "status" = 'refunded' AND "refunded_amount" < "amount" THEN 'partially_refunded' ELSE "status" END,
       "version", "confirmation_code", "method", "provider_ref", "refunded_amount", "created_at", "updated_at", "expires_at"
FROM `payments`;--> statement-breakpoint
DROP TABLE `payments`;--> statement-breakpoint
ALTER TABLE `__new_payments` RENAME TO `payments`;--> statement-breakpoint
CREATE UNIQUE INDEX `payments_open_purpose_uq` ON `payments` (`purpose_type`,`purpose_id`) WHERE status IN ('requires_confirmation', 'requires_capture');--> statement-breakpoint
CREATE INDEX `payments_purpose_idx` ON `payments` (`purpose_type`,`purpose_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `payments_user_status_idx` ON `payments` (`user_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payments_user_created_idx` ON `payments` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payments_expiry_idx` ON `payments` (`expires_at`) WHERE status = 'requires_confirmation';