import type { Rng } from './prng'

/**
 * A believable shelf price in fen between two yuan bounds: big tickets end in 99 yuan
 * (2,999.00), mid-range in 9 yuan (249.00), cheap goods in .9 yuan (39.90).
 */
export function shelfPrice(rng: Rng, minYuan: number, maxYuan: number): number {
  const yuan = minYuan + rng.next() * (maxYuan - minYuan)
  if (yuan >= 1000) return (Math.max(1, Math.round(yuan / 100)) * 100 - 1) * 100
  if (yuan >= 100) return (Math.max(1, Math.round(yuan / 10)) * 10 - 1) * 100
  return Math.max(1, Math.round(yuan) * 10 - 1) * 10
}

/** Heavy-tailed popularity: most products sell a little, a few sell a lot. */
export function salesCount(rng: Rng, max: number): number {
  return Math.floor(Math.pow(rng.next(), 4) * max)
}

/** Stock as a shop has it: a few sold out, some nearly gone, most plenty. */
export function stockCount(rng: Rng, plenty: number): number {
  const roll = rng.next()
  if (roll < 0.04) return 0
  if (roll < 0.12) return rng.int(1, 5)
  return rng.int(10, plenty)
}
