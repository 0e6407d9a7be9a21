import { TypeID } from 'typeid-js'
import { ID_PREFIX, type IdKind } from '../../src/lib/ids'
import { rng } from './prng'

/** 2025-01-01T00:00:00Z: the seeded rows' ids sort after this instant, one millisecond apart. */
const SEED_EPOCH_MS = Date.UTC(2025, 0, 1)

/**
 * A stable typeid (`prod_01j…`) for seeded row `index` of `kind`: a UUIDv7 whose time is the
 * seed epoch plus `index` ms and whose random bits come from the seed. Stable ids make the demo
 * store the same everywhere (docs can name a product) and re-seeding update rows in place.
 */
export function seededId(kind: IdKind, index: number, seed: string): string {
  const r = rng(`${seed}:id:${kind}:${index}`)
  const bytes = new Uint8Array(16)
  let ms = SEED_EPOCH_MS + index
  for (let b = 5; b >= 0; b--) {
    bytes[b] = ms % 256
    ms = Math.floor(ms / 256)
  }
  for (let b = 6; b < 16; b++) bytes[b] = r.int(0, 255)
  bytes[6] = 0x70 | (bytes[6] & 0x0f) // version 7
  bytes[8] = 0x80 | (bytes[8] & 0x3f) // RFC 4122 variant
  return TypeID.fromUUIDBytes(ID_PREFIX[kind], bytes).toString()
}
