CREATE TABLE `channel_tickets` (
	`ticket_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`device_id` text,
	`token_version` integer,
	`session_id` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "channel_tickets_one_holder" CHECK((device_id IS NOT NULL AND token_version IS NOT NULL AND session_id IS NULL)
        OR (device_id IS NULL AND token_version IS NULL AND session_id IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX `channel_tickets_user_expires_idx` ON `channel_tickets` (`user_id`,`expires_at`);--> statement-breakpoint
CREATE INDEX `channel_tickets_expires_idx` ON `channel_tickets` (`expires_at`);--> statement-breakpoint
CREATE INDEX `notifications_user_undelivered_idx` ON `notifications` (`user_id`,`created_at`,`id`) WHERE delivered_at IS NULL;