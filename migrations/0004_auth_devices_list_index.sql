DROP INDEX `devices_user_idx`;--> statement-breakpoint
CREATE INDEX `devices_user_list_idx` ON `devices` (`user_id`,`created_at`,`id`) WHERE revoked_at IS NULL;