-- The full current schema, generated from migrations/ by `npm run db:schema`.
-- Do not edit by hand: tests/db/schema-drift.test.ts fails when it drifts.
CREATE TABLE `devices` (`id` text PRIMARY KEY NOT NULL, `user_id` text NOT NULL, `client_id` text NOT NULL, `name` text NOT NULL, `token_version` integer DEFAULT 1 NOT NULL, `revoked_at` integer, `created_at` integer NOT NULL, `last_seen_at` integer, FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action);
CREATE TABLE `users` (`id` text PRIMARY KEY NOT NULL, `phone` text NOT NULL, `password_hash` text NOT NULL, `pin_hash` text, `pin_failed_attempts` integer DEFAULT 0 NOT NULL, `pin_locked_until` integer, `created_at` integer NOT NULL);
CREATE INDEX `devices_user_idx` ON `devices` (`user_id`,`created_at`) WHERE revoked_at IS NULL;
CREATE UNIQUE INDEX `users_phone_unique` ON `users` (`phone`);
