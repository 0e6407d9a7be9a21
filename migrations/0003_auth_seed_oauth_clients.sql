-- The TV makers and boxes that may pair (RFC 8628 public clients). Every fresh database has them.
INSERT OR IGNORE INTO `oauth_clients` (`id`, `name`, `enabled`, `created_at`) VALUES
  ('skyworth-tv', 'Skyworth TV', 1, 1767225600000),
  ('haier-tv', 'Haier TV', 1, 1767225600000),
  ('changhong-tv', 'Changhong TV', 1, 1767225600000),
  ('wasu-rainbow', 'Wasu Rainbow box', 1, 1767225600000);
