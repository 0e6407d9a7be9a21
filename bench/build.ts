import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { BUILD_DIR, ROOT } from './config'

/**
 * Bundles bench/worker.js (the production Worker behind the BENCH-only D1 counter) the way a
 * deploy would: `wrangler deploy --dry-run --outdir`, same wrangler.toml, same esbuild settings.
 */
export function buildWorker(): string {
  // wrangler.toml's [assets] directory (the pages) must exist for the bundle to build.
  execFileSync('node', ['scripts/build-web.mjs'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  execFileSync(
    'npx',
    ['wrangler', 'deploy', '--dry-run', '--outdir', BUILD_DIR, path.join('bench', 'worker.js')],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const script = path.join(BUILD_DIR, 'worker.js')
  if (!existsSync(script)) throw new Error(`wrangler did not write ${script}`)
  return script
}
