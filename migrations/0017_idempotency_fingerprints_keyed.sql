-- Idempotency fingerprints were a plain SHA-256 of the request body, and a confirm body holds
-- the 6-digit PIN: 10^6 guesses gave it back. New fingerprints are an HMAC under a server secret
-- with secret fields left out ('hmac1:…'). The old ones cannot be converted in SQL, so they are
-- scrubbed: the Worker treats 'redacted' as "any body matches", so a legitimate retry of a
-- request made before the deploy still replays its first answer (rows live 24 h at most).
UPDATE idempotency_keys SET request_hash = 'redacted' WHERE request_hash NOT LIKE 'hmac1:%';
