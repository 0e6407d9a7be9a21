ALTER TABLE `orders` ADD `units_reserved` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Pending orders hold their units in products.reserved since 0011 (which moved them there), so
-- they are marked as such; ended orders hold nothing and keep 0.
UPDATE `orders` SET `units_reserved` = 1 WHERE `status` = 'pending_payment';
