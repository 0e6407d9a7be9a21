/**
 * The catalog version: every write that changes a public catalog read (products, categories,
 * deals shown on home or product detail) bumps it, and cached public reads are keyed by it, so a
 * cached page is unreachable once anything it shows has changed.
 *
 * Reading the version costs a D1 round trip, which would be all a cache hit saves; so an isolate
 * keeps the version it read for VERSION_TTL_MS. Writes in this isolate forget it at once; writes
 * in other isolates are seen within VERSION_TTL_MS (the bound on staleness, see docs/catalog.md).
 */

export const VERSION_TTL_MS = 1000

let remembered: { version: number; readAt: number } | null = null

/** Put this statement in the same batch as the write it announces. */
export function catalogVersionBumpStatement(env: Env): D1PreparedStatement {
  forgetCatalogVersion()
  return env.DB.prepare('UPDATE catalog_state SET version = version + 1 WHERE id = 1')
}

/** For a write that is not already a batch. */
export async function bumpCatalogVersion(env: Env): Promise<void> {
  await catalogVersionBumpStatement(env).run()
  forgetCatalogVersion()
}

/** Call after the batch holding a bump statement committed: this isolate then reads afresh. */
export function forgetCatalogVersion(): void {
  remembered = null
}

export async function catalogVersion(env: Env, now = Date.now()): Promise<number> {
  if (remembered && now - remembered.readAt < VERSION_TTL_MS) return remembered.version
  const row = await env.DB.prepare('SELECT version FROM catalog_state WHERE id = 1').first<{
    version: number
  }>()
  const version = row?.version ?? 0
  remembered = { version, readAt: now }
  return version
}
