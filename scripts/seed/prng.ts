// Deterministic randomness for demo and bench data: the same seed gives the same store everywhere.

/** 32-bit FNV-1a of a string: turns a textual seed into PRNG state. */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export type Rng = {
  /** Uniform float in [0, 1). */
  next(): number
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number
  pick<T>(items: readonly T[]): T
  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: readonly T[], weight: (item: T) => number): T
  chance(p: number): boolean
  /** `count` distinct items in their original order. */
  sample<T>(items: readonly T[], count: number): T[]
  /** Fills `#` with a digit and `@` with an uppercase letter (model numbers). */
  pattern(template: string): string
}

/** mulberry32: tiny, fast, good enough for fixtures (not for anything secret). */
export function rng(seed: string | number): Rng {
  let state = typeof seed === 'number' ? seed >>> 0 : hash32(seed)
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  const pick = <T>(items: readonly T[]) => {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(next() * items.length)]
  }
  return {
    next,
    int,
    pick,
    weighted(items, weight) {
      const total = items.reduce((sum, item) => sum + weight(item), 0)
      let roll = next() * total
      for (const item of items) {
        roll -= weight(item)
        if (roll < 0) return item
      }
      return items[items.length - 1]
    },
    chance: (p) => next() < p,
    sample(items, count) {
      const chosen = new Set<number>()
      const want = Math.min(count, items.length)
      while (chosen.size < want) chosen.add(Math.floor(next() * items.length))
      return [...chosen].sort((a, b) => a - b).map((i) => items[i])
    },
    pattern: (template) =>
      template.replace(/[#@]/g, (ch) =>
        ch === '#' ? String(int(0, 9)) : String.fromCharCode(65 + int(0, 25)),
      ),
  }
}
