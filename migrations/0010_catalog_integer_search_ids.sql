-- search_keys names its product or category by a small integer (3 bytes a row instead of a
-- 31-byte text id), and is a WITHOUT ROWID table: its primary key (key, rank, target_id) is the
-- table, so a suggest lookup reads only the rows it returns. The table holds nothing yet.
DROP TABLE `search_keys`;--> statement-breakpoint
CREATE TABLE `search_keys` (
	`key` text NOT NULL,
	`rank` integer NOT NULL,
	`target_id` integer NOT NULL,
	PRIMARY KEY(`key`, `rank`, `target_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `search_keys_target_idx` ON `search_keys` (`target_id`);--> statement-breakpoint
-- Existing rows (a local dev database) get their rowid; writes assign MAX(search_id) + 1.
ALTER TABLE `categories` ADD `search_id` integer NOT NULL DEFAULT 0;--> statement-breakpoint
UPDATE `categories` SET `search_id` = rowid;--> statement-breakpoint
CREATE UNIQUE INDEX `categories_search_id_unique` ON `categories` (`search_id`);--> statement-breakpoint
ALTER TABLE `products` ADD `search_id` integer NOT NULL DEFAULT 0;--> statement-breakpoint
UPDATE `products` SET `search_id` = rowid;--> statement-breakpoint
CREATE UNIQUE INDEX `products_search_id_unique` ON `products` (`search_id`);
