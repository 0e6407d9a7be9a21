import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { SeedContext, SeedModule } from './modules'

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..')

function filesUnder(dir: string): string[] {
  const abs = path.join(REPO_ROOT, dir)
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(REPO_ROOT, path.join(e.parentPath, e.name)))
}

/**
 * Identifies what a seed run would write: the seed, the product count, the migrations, the
 * generator and every module's sources. Equal fingerprints mean an identical database, so a run
 * can be skipped (dev) or a cached database reused (bench).
 */
export function seedFingerprint(
  modules: SeedModule[],
  ctx: Pick<SeedContext, 'seed' | 'products'>,
  extraFiles: string[] = [],
): string {
  const files = new Set([
    ...filesUnder('migrations').filter((f) => f.endsWith('.sql')),
    ...filesUnder('scripts/seed'),
    ...modules.flatMap((m) => m.sources),
    ...extraFiles,
  ])
  const hash = createHash('sha256')
  hash.update(JSON.stringify({ seed: ctx.seed, products: ctx.products }))
  for (const file of [...files].sort()) {
    hash.update(`\n${file}\n`)
    hash.update(readFileSync(path.join(REPO_ROOT, file)))
  }
  return hash.digest('hex')
}
