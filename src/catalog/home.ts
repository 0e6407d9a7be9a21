import type { Principal } from '../env'

/**
 * What `/v1/home` and the extras of `/v1/products/{id}` are made of. Each capability exports its
 * rails and extras as plain values; src/wiring.ts lists them all, and the catalog routes pass that
 * list in. Every rail's statement and every extra's statement runs in one `env.DB.batch()`.
 */

export type RailKind = 'deals' | 'products' | 'categories' | 'bills'

export type HomeRail = {
  id: string
  title: string
  kind: RailKind
  /** Ascending: lower comes first on the screen. */
  position: number
  /** null: this rail has nothing to show for this caller (e.g. bills without a signed-in device). */
  query(env: Env, principal: Principal | null, now: number): D1PreparedStatement | null
  toItems(rows: any[]): unknown[]
  /** A title that depends on the rows (a rail per top category); defaults to `title`. */
  titleFrom?(rows: any[]): string | null
  /** Documentation only: any signed-in home is already kept out of the shared cache. */
  personal?: boolean
}

export type ProductExtra = {
  field: string
  query(env: Env, productId: string, now: number): D1PreparedStatement
  toValue(rows: any[]): unknown
}

/** Screen order: by position, then id. */
function inScreenOrder(rails: readonly HomeRail[]): HomeRail[] {
  return [...rails].sort((a, b) => a.position - b.position || a.id.localeCompare(b.id))
}

export type HomeView = {
  rails: Array<{ id: string; title: string; kind: RailKind; items: unknown[] }>
}

/** Every rail in one batch; rails with nothing to show are left out. */
export async function loadHome(
  env: Env,
  rails: readonly HomeRail[],
  principal: Principal | null,
  now: number,
): Promise<HomeView> {
  const planned = inScreenOrder(rails)
    .map((rail) => ({ rail, statement: rail.query(env, principal, now) }))
    .filter((p): p is { rail: HomeRail; statement: D1PreparedStatement } => p.statement !== null)
  if (planned.length === 0) return { rails: [] }
  const results = await env.DB.batch(planned.map((p) => p.statement))
  const view: HomeView = { rails: [] }
  planned.forEach(({ rail }, i) => {
    const rows = results[i]?.results ?? []
    const items = rail.toItems(rows)
    if (items.length === 0) return
    view.rails.push({
      id: rail.id,
      title: rail.titleFrom?.(rows) ?? rail.title,
      kind: rail.kind,
      items,
    })
  })
  return view
}

/**
 * A signed-in home may hold that household's rails (bills): never shared-cached, whatever a rail
 * declares, so a rail that forgets to say it is personal cannot leak into someone else's screen.
 */
export function homeIsPersonal(principal: Principal | null): boolean {
  return principal !== null
}
