/**
 * Deals are shown on catalog reads (home rail, product detail), so a deal write must invalidate
 * the catalog's cached responses: the statement that bumps catalog_state.version, to run in the
 * same batch as the write.
 */
export function catalogChanged(env: Env): D1PreparedStatement[] {
  return [env.DB.prepare('UPDATE catalog_state SET version = version + 1 WHERE id = 1')]
}
