CREATE TABLE `deal_buyers` (
	`deal_id` text NOT NULL,
	`user_id` text NOT NULL,
	`units` integer NOT NULL,
	`max_units` integer NOT NULL,
	PRIMARY KEY(`deal_id`, `user_id`),
	CONSTRAINT "deal_buyers_within_limit" CHECK(units >= 0 AND units <= max_units)
);
--> statement-breakpoint
CREATE TABLE `deal_participations` (
	`id` text PRIMARY KEY NOT NULL,
	`deal_id` text NOT NULL,
	`user_id` text NOT NULL,
	`started_by_device_id` text,
	`team_id` text,
	`quantity` integer NOT NULL,
	`unit_price` integer NOT NULL,
	`payment_id` text NOT NULL,
	`status` text NOT NULL,
	`shipping_address` text,
	`order_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`confirmed_at` integer,
	`closed_at` integer,
	CONSTRAINT "deal_participations_quantity" CHECK(quantity >= 1 AND unit_price > 0),
	CONSTRAINT "deal_participations_status" CHECK(status IN ('pending_payment', 'confirmed', 'paid', 'released', 'refunded'))
);
--> statement-breakpoint
CREATE INDEX `deal_participations_deal_status_idx` ON `deal_participations` (`deal_id`,`status`);--> statement-breakpoint
CREATE INDEX `deal_participations_team_status_idx` ON `deal_participations` (`team_id`,`status`) WHERE team_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `deal_participations_user_idx` ON `deal_participations` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `deal_participations_team_user_uq` ON `deal_participations` (`team_id`,`user_id`) WHERE team_id IS NOT NULL AND status IN ('pending_payment', 'confirmed', 'paid');--> statement-breakpoint
CREATE TABLE `deal_teams` (
	`id` text PRIMARY KEY NOT NULL,
	`deal_id` text NOT NULL,
	`code` text NOT NULL,
	`size` integer NOT NULL,
	`members` integer DEFAULT 0 NOT NULL,
	`confirmed` integer DEFAULT 0 NOT NULL,
	`phase` text DEFAULT 'forming' NOT NULL,
	`opened_by_user_id` text NOT NULL,
	`opened_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`filled_at` integer,
	`closed_at` integer,
	CONSTRAINT "deal_teams_members" CHECK(members >= 0 AND members <= size AND confirmed >= 0 AND confirmed <= members),
	CONSTRAINT "deal_teams_phase" CHECK(phase IN ('forming', 'filled', 'failed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deal_teams_code_uq` ON `deal_teams` (`code`);--> statement-breakpoint
CREATE INDEX `deal_teams_deal_idx` ON `deal_teams` (`deal_id`,`opened_at`);--> statement-breakpoint
CREATE INDEX `deal_teams_expiry_idx` ON `deal_teams` (`expires_at`) WHERE phase = 'forming';--> statement-breakpoint
CREATE INDEX `deal_teams_release_idx` ON `deal_teams` (`id`) WHERE phase = 'failed' AND members > 0;--> statement-breakpoint
CREATE TABLE `deals` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`mode` text NOT NULL,
	`deal_price` integer NOT NULL,
	`list_price` integer NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`min_group_size` integer NOT NULL,
	`stock` integer NOT NULL,
	`max_per_user` integer NOT NULL,
	`team_size` integer,
	`team_window_ms` integer,
	`reserved` integer DEFAULT 0 NOT NULL,
	`sold` integer DEFAULT 0 NOT NULL,
	`participants` integer DEFAULT 0 NOT NULL,
	`phase` text DEFAULT 'open' NOT NULL,
	`tipped_at` integer,
	`closed_at` integer,
	`settled_at` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "deals_prices" CHECK(deal_price > 0 AND deal_price < list_price),
	CONSTRAINT "deals_window" CHECK(ends_at > starts_at),
	CONSTRAINT "deals_limits" CHECK(min_group_size >= 1 AND stock >= 1 AND max_per_user >= 1),
	CONSTRAINT "deals_mode" CHECK((mode = 'group' AND team_size IS NULL AND team_window_ms IS NULL)
        OR (mode = 'team' AND team_size >= 2 AND team_window_ms > 0 AND min_group_size = team_size)),
	CONSTRAINT "deals_no_oversell" CHECK(reserved >= 0 AND sold >= 0 AND reserved + sold <= stock),
	CONSTRAINT "deals_participants" CHECK(participants >= 0),
	CONSTRAINT "deals_phase" CHECK(phase IN ('open', 'succeeded', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `deals_ends_idx` ON `deals` (`ends_at`,`id`);--> statement-breakpoint
CREATE INDEX `deals_starts_idx` ON `deals` (`starts_at`,`id`);--> statement-breakpoint
CREATE INDEX `deals_product_idx` ON `deals` (`product_id`,`ends_at`);--> statement-breakpoint
CREATE INDEX `deals_closing_idx` ON `deals` (`ends_at`) WHERE phase = 'open';--> statement-breakpoint
CREATE INDEX `deals_open_units_idx` ON `deals` (`id`) WHERE reserved > 0;--> statement-breakpoint
CREATE INDEX `deals_unsettled_idx` ON `deals` (`id`) WHERE phase <> 'open' AND settled_at IS NULL;