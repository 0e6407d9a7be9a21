import { LRUCache } from 'lru-cache'

/**
 * The first layer of public reads: answers this isolate already produced, kept in its memory.
 * A hit costs no I/O at all, where the Workers Cache API costs a lookup and D1 a round trip, so
 * the keypresses every TV types first (`x`, `xi`, `dian`…) and the pages everyone opens are
 * answered at close to the cost of a constant response.
 *
 * Keys carry the catalog version like the Cache API's, so this layer is exactly as fresh as the
 * one behind it: a write in this isolate is seen at once, a write elsewhere within the version's
 * TTL (src/catalog/cache.ts). Memory is bounded by bytes and entries; the least recently used
 * answers go first. An isolate holds up to 128 MB, so the budget stays a small part of it.
 */

export type CachedAnswer = {
  body: string
  etag: string
  /** When the body was read from D1 (ms): bounds its age in every layer. */
  producedAt: number
  /** Whether the edge cache (Cache API) holds this answer too; see publicJson. */
  atEdge: boolean
}

export const ISOLATE_CACHE_MAX_BYTES = 8 * 1024 * 1024
export const ISOLATE_CACHE_MAX_ENTRIES = 10_000

function createStore() {
  return new LRUCache<string, CachedAnswer>({
    max: ISOLATE_CACHE_MAX_ENTRIES,
    maxSize: ISOLATE_CACHE_MAX_BYTES,
    // JS strings are UTF-16: two bytes per code unit is what the body holds in memory.
    sizeCalculation: (answer, key) =>
      2 * (answer.body.length + answer.etag.length + key.length) + 64,
    // ttlResolution 0: no timers (a Worker should not leave them behind after a request).
    ttlResolution: 0,
  })
}

let store = createStore()
/** The version every entry was stored under; a newer one empties the store. */
let storedVersion = -1

/** `ISOLATE_CACHE = "off"` turns this layer off (the bench does, to time the D1 path alone). */
export function isolateCacheEnabled(env: Env): boolean {
  return (env as { ISOLATE_CACHE?: string }).ISOLATE_CACHE !== 'off'
}

/**
 * The store for `version`, or null for a request that read an older version than the entries
 * here (it raced a write): it neither reads nor writes them.
 */
function forVersion(version: number) {
  if (version < storedVersion) return null
  if (version > storedVersion) {
    store.clear()
    storedVersion = version
  }
  return store
}

export function isolateCacheGet(version: number, key: string): CachedAnswer | undefined {
  return forVersion(version)?.get(key)
}

export function isolateCachePut(
  version: number,
  key: string,
  answer: CachedAnswer,
  ttlSeconds: number,
): void {
  // lru-cache reads a ttl of 0 as "forever": an answer with no time left is not kept at all.
  if (ttlSeconds <= 0) return
  forVersion(version)?.set(key, answer, { ttl: Math.ceil(ttlSeconds * 1000) })
}

/** For tests and for memory pressure: forget everything. */
export function isolateCacheClear(): void {
  store = createStore()
  storedVersion = -1
}

export function isolateCacheStats() {
  return { entries: store.size, bytes: store.calculatedSize, version: storedVersion }
}
