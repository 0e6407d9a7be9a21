import type { Principal } from '../env'

/**
 * The registry behind `/v1/home` and the extras of `/v1/products/{id}`. Capabilities register at
 * module import (deals and bills import their registration module from their routes.ts); every
 * rail's statement and every extra's statement runs in one `env.DB.batch()`.
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

const rails = new Map<string, HomeRail>()
const extras = new Map<string, ProductExtra>()

export function registerHomeRail(rail: HomeRail): void {
  rails.set(rail.id, rail)
}

export function registerProductExtra(extra: ProductExtra): void {
  extras.set(extra.field, extra)
}

export function homeRails(): HomeRail[] {
  return [...rails.values()].sort((a, b) => a.position - b.position || a.id.localeCompare(b.id))
}

export function productExtras(): ProductExtra[] {
  return [...extras.values()]
}

export type HomeView = {
  rails: Array<{ id: string; title: string; kind: RailKind; items: unknown[] }>
}

/** Every rail in one batch; rails with nothing to show are left out. */
export async function loadHome(
  env: Env,
  principal: Principal | null,
  now: number,
): Promise<HomeView> {
  const planned = homeRails()
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
