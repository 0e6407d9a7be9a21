import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { BUILD_DIR, ROOT } from './config'

/** What the measured Worker is built from: its code, the bench's bundle entry, config, deps. */
const SOURCES = [
  'src',
  'bench/worker.js',
  'bench/bench-routes.ts',
  'bench/caches-off.ts',
  'bench/object-joins.ts',
  'migrations',
  'wrangler.toml',
  'package.json',
  'package-lock.json',
  'web',
]

/**
 * The commit the bundle is built from, read as it is built (a run lasts minutes, and HEAD may move
 * meanwhile): `dirty` when the files it is built from differ from that commit, `changed` naming
 * them. Null outside a git checkout: the figures still stand, without a commit to pin them to.
 */
export type BuildSource = {
  commit: string | null
  dirty: boolean | null
  changed: string[]
  builtAt: string
}

export function sourceOf(): BuildSource {
  const builtAt = new Date().toISOString()
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    const commit = git('rev-parse', 'HEAD').trim()
    const changed = git('status', '--porcelain', '--', ...SOURCES)
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3))
    return { commit, dirty: changed.length > 0, changed, builtAt }
  } catch {
    return { commit: null, dirty: null, changed: [], builtAt }
  }
}

/**
 * Bundles bench/worker.js (the production Worker behind the BENCH-only D1 counter) the way a
 * deploy would: `wrangler deploy --dry-run --outdir`, same wrangler.toml, same esbuild settings.
 */
export function buildWorker(): { script: string; source: BuildSource } {
  // wrangler.toml's [assets] directory (the pages) must exist for the bundle to build.
  const source = sourceOf()
  execFileSync('node', ['scripts/build-web.mjs'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  execFileSync(
    'npx',
    ['wrangler', 'deploy', '--dry-run', '--outdir', BUILD_DIR, path.join('bench', 'worker.js')],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const script = path.join(BUILD_DIR, 'worker.js')
  if (!existsSync(script)) throw new Error(`wrangler did not write ${script}`)
  return { script, source }
}
