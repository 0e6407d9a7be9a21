-- The single catalog version row: public catalog reads are cached under this version.
INSERT INTO `catalog_state` (`id`, `version`) VALUES (1, 1);
--> statement-breakpoint
-- Categories are two levels deep at most (a root and its children), so a product's
-- root_category_id is always a root. A category cannot be its own parent, cannot hang under a
-- child, and cannot become a child while it has children of its own.
CREATE TRIGGER `categories_depth_insert` BEFORE INSERT ON `categories`
WHEN NEW.parent_id IS NOT NULL
  AND (NEW.parent_id = NEW.id
    OR (SELECT parent_id FROM categories WHERE id = NEW.parent_id) IS NOT NULL)
BEGIN
  SELECT RAISE(ABORT, 'category_too_deep');
END;
--> statement-breakpoint
CREATE TRIGGER `categories_depth_update` BEFORE UPDATE OF `parent_id` ON `categories`
WHEN NEW.parent_id IS NOT NULL
  AND (NEW.parent_id = NEW.id
    OR (SELECT parent_id FROM categories WHERE id = NEW.parent_id) IS NOT NULL
    OR EXISTS (SELECT 1 FROM categories WHERE parent_id = NEW.id))
BEGIN
  SELECT RAISE(ABORT, 'category_too_deep');
END;
--> statement-breakpoint
-- Moving a category under another root moves its products' root with it, in the same statement.
CREATE TRIGGER `categories_reroot_products` AFTER UPDATE OF `parent_id` ON `categories`
WHEN OLD.parent_id IS NOT NEW.parent_id
BEGIN
  UPDATE products SET root_category_id = COALESCE(NEW.parent_id, NEW.id) WHERE category_id = NEW.id;
END;
