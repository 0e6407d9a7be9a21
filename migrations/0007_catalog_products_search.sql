CREATE TABLE `catalog_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	CONSTRAINT "catalog_state_single_row" CHECK(id = 1)
);
--> statement-breakpoint
CREATE TABLE `categories` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`parent_id` text,
	`position` integer DEFAULT 0 NOT NULL,
	`search_text` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`parent_id`) REFERENCES `categories`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `categories_slug_unique` ON `categories` (`slug`);--> statement-breakpoint
CREATE INDEX `categories_parent_idx` ON `categories` (`parent_id`,`position`,`slug`);--> statement-breakpoint
CREATE TABLE `products` (
	`id` text PRIMARY KEY NOT NULL,
	`sku` text NOT NULL,
	`title` text NOT NULL,
	`brand` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`category_id` text NOT NULL,
	`root_category_id` text NOT NULL,
	`price` integer NOT NULL,
	`stock` integer NOT NULL,
	`sales` integer DEFAULT 0 NOT NULL,
	`image` text,
	`images` text DEFAULT '[]' NOT NULL,
	`attributes` text DEFAULT '{}' NOT NULL,
	`search_text` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`category_id`) REFERENCES `categories`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "products_price_nonnegative" CHECK(price >= 0),
	CONSTRAINT "products_stock_nonnegative" CHECK(stock >= 0),
	CONSTRAINT "products_sales_nonnegative" CHECK(sales >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `products_sku_unique` ON `products` (`sku`);--> statement-breakpoint
CREATE INDEX `products_popular_idx` ON `products` (`sales`,`id`);--> statement-breakpoint
CREATE INDEX `products_category_popular_idx` ON `products` (`category_id`,`sales`,`id`);--> statement-breakpoint
CREATE INDEX `products_root_popular_idx` ON `products` (`root_category_id`,`sales`,`id`);--> statement-breakpoint
CREATE TABLE `search_keys` (
	`key` text NOT NULL,
	`rank` integer NOT NULL,
	`target_id` text NOT NULL,
	PRIMARY KEY(`key`, `rank`, `target_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `search_keys_target_idx` ON `search_keys` (`target_id`);