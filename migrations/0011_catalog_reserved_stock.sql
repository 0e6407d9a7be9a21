-- Adds products.reserved (units held by orders awaiting payment) with CHECKs keeping it within
-- [0, stock]. New table CHECKs mean a rebuild. The trigger categories_reroot_products (migration
-- catalog_search_state) writes to products: SQLite refuses to rename the new table into place
-- while a trigger names a missing table, so it is dropped first and recreated unchanged below.
DROP TRIGGER `categories_reroot_products`;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_products` (
	`id` text PRIMARY KEY NOT NULL,
	`search_id` integer NOT NULL,
	`sku` text NOT NULL,
	`title` text NOT NULL,
	`brand` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`category_id` text NOT NULL,
	`root_category_id` text NOT NULL,
	`price` integer NOT NULL,
	`stock` integer NOT NULL,
	`reserved` integer DEFAULT 0 NOT NULL,
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
	CONSTRAINT "products_reserved_nonnegative" CHECK(reserved >= 0),
	CONSTRAINT "products_reserved_within_stock" CHECK(reserved <= stock),
	CONSTRAINT "products_sales_nonnegative" CHECK(sales >= 0)
);
--> statement-breakpoint
-- Until now an order took its units out of stock at once; stock now counts them until the order
-- is paid, and reserved holds them. So the units of orders still pending_payment (the only ones
-- whose units are taken but not shipped) move back into stock and into reserved; available units
-- (stock - reserved) are what stock was.
INSERT INTO `__new_products`("id", "search_id", "sku", "title", "brand", "description", "category_id", "root_category_id", "price", "stock", "reserved", "sales", "image", "images", "attributes", "search_text", "created_at", "updated_at")
SELECT p."id", p."search_id", p."sku", p."title", p."brand", p."description", p."category_id", p."root_category_id", p."price",
       p."stock" + COALESCE(h."held", 0), COALESCE(h."held", 0),
       p."sales", p."image", p."images", p."attributes", p."search_text", p."created_at", p."updated_at"
FROM `products` AS p
LEFT JOIN (
  SELECT i."product_id", SUM(i."quantity") AS "held"
  FROM `order_items` AS i JOIN `orders` AS o ON o."id" = i."order_id"
  WHERE o."status" = 'pending_payment'
  GROUP BY i."product_id"
) AS h ON h."product_id" = p."id";--> statement-breakpoint
DROP TABLE `products`;--> statement-breakpoint
ALTER TABLE `__new_products` RENAME TO `products`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `products_search_id_unique` ON `products` (`search_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `products_sku_unique` ON `products` (`sku`);--> statement-breakpoint
CREATE INDEX `products_popular_idx` ON `products` (`sales`,`id`);--> statement-breakpoint
CREATE INDEX `products_category_popular_idx` ON `products` (`category_id`,`sales`,`id`);--> statement-breakpoint
CREATE INDEX `products_root_popular_idx` ON `products` (`root_category_id`,`sales`,`id`);--> statement-breakpoint
-- Moving a category under another root moves its products' root with it, in the same statement.
CREATE TRIGGER `categories_reroot_products` AFTER UPDATE OF `parent_id` ON `categories`
WHEN OLD.parent_id IS NOT NEW.parent_id
BEGIN
  UPDATE products SET root_category_id = COALESCE(NEW.parent_id, NEW.id) WHERE category_id = NEW.id;
END;
