-- A void or refund that gives a customer's money back and failed at the gateway when first made
-- (the gateway down after it took the card) is owed here and retried by the cron under its own
-- idempotency key until the gateway answers (src/payments/compensations.ts).
CREATE TABLE `gateway_compensations` (
	`idempotency_key` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`provider` text NOT NULL,
	`ref` text NOT NULL,
	`action` text NOT NULL,
	`amount` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`outcome` text,
	`created_at` integer NOT NULL,
	`done_at` integer,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "gateway_compensations_action_known" CHECK(action IN ('void', 'refund')),
	CONSTRAINT "gateway_compensations_valid" CHECK(amount > 0 AND attempts >= 0 AND (outcome IS NULL OR outcome IN ('ok', 'declined'))
        AND (outcome IS NULL) = (done_at IS NULL))
);
--> statement-breakpoint
CREATE INDEX `gateway_compensations_due_idx` ON `gateway_compensations` (`next_attempt_at`) WHERE done_at IS NULL;