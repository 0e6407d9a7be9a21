import { catalogVersionBumpStatement } from '../catalog/cache'

/**
 * Deals are shown on cached catalog reads (the home rail, a product's active_deal), so a deal write
 * that changes what they show carries the catalog version bump in its own batch. Joins do not:
 * counters on those cached pages may lag by the catalog cache's TTL, and /v1/deals is never cached.
 */
export function catalogChanged(env: Env): D1PreparedStatement[] {
  return [catalogVersionBumpStatement(env)]
}
