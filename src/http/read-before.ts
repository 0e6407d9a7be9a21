/**
 * Which pages this isolate has read lately, so that a page enters the caches only when it is
 * read a second time (src/http/cache.ts): a one-off read then does what the D1 path does and no
 * more (no LRU insert, no edge copy, nothing kept for the garbage collector to promote and mark).
 *
 * TinyLFU's "doorkeeper": a Bloom filter of page keys, in two generations so memory stays fixed.
 * Keys go into the current generation; a key is known if either generation has it; once the
 * current one holds `capacity` keys it becomes the previous one and an emptied array takes its
 * place. So a page is remembered for at least `capacity` other first reads, at most twice that,
 * in 2 × capacity × BITS_PER_KEY bits (25 KB for 10,000), and recording a read allocates nothing.
 * A false positive (about 1% when full) lets a one-off page in at once: the behaviour without the
 * rule, never a wrong answer, since what is kept is always the page just read from D1.
 */

const BITS_PER_KEY = 10
const HASHES = 7

export type ReadBefore = {
  /** Whether `key` was recorded before (in either generation); records it either way. */
  seen(key: string): boolean
  /** Forget every key (tests). */
  clear(): void
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

export function readBefore(capacity: number): ReadBefore {
  const words = Math.ceil((capacity * BITS_PER_KEY) / 32)
  const bits = words * 32
  let current = new Uint32Array(words)
  let previous = new Uint32Array(words)
  let added = 0

  // One 32-bit FNV-1a of the key, mixed (murmur3's finalizer) into two; index i is h1 + i·h2
  // (Kirsch-Mitzenmacher: two hashes stand for HASHES).
  function has(filter: Uint32Array, h1: number, h2: number) {
    for (let i = 0; i < HASHES; i++) {
      const at = ((h1 + Math.imul(i, h2)) >>> 0) % bits
      if ((filter[at >>> 5]! & (1 << (at & 31))) === 0) return false
    }
    return true
  }

  function add(filter: Uint32Array, h1: number, h2: number) {
    for (let i = 0; i < HASHES; i++) {
      const at = ((h1 + Math.imul(i, h2)) >>> 0) % bits
      filter[at >>> 5]! |= 1 << (at & 31)
    }
  }

  return {
    seen(key) {
      let h = 0x811c9dc5
      for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
      const h1 = mix(h)
      const h2 = mix(h1 ^ 0x9e3779b9) | 1
      if (has(current, h1, h2)) return true
      const before = has(previous, h1, h2)
      if (added >= capacity) {
        const emptied = previous.fill(0)
        previous = current
        current = emptied
        added = 0
      }
      add(current, h1, h2)
      added++
      return before
    },
    clear() {
      current.fill(0)
      previous.fill(0)
      added = 0
    },
  }
}
