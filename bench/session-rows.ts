import type { Miniflare } from 'miniflare'

type BenchD1 = Awaited<ReturnType<Miniflare['getD1Database']>>

/** A user with a live refresh family (what an access token's `sid` is checked against), as rows. */
export function liveSessionRows(
  db: BenchD1,
  user: { userId: string; familyId: string; phone: string; tokenHash: string; now: number },
) {
  const { userId, familyId, phone, tokenHash, now } = user
  return [
    db
      .prepare('INSERT INTO users (id, phone, password_hash, created_at) VALUES (?, ?, ?, ?)')
      .bind(userId, phone, 'x', now),
    db
      .prepare(
        `INSERT INTO refresh_tokens (id, family_id, user_id, device_id, token_hash, created_at, expires_at)
         VALUES (?, ?, ?, NULL, ?, ?, ?)`,
      )
      .bind(familyId, familyId, userId, tokenHash, now, now + 86_400_000),
  ]
}
