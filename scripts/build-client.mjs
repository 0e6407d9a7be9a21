// `npm run build:client`: the typed client (client/index.ts) as one ES module, dist/client/index.js.
// Its types come from the Worker (AppType); its code must not: the build fails if any file outside
// client/ and hono's client reaches the bundle.
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const outfile = 'dist/client/index.js'
const result = await build({
  entryPoints: ['client/index.ts'],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  // The TV browsers the reference TV app targets (scripts/build-web.mjs).
  target: ['chrome79', 'safari14'],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
})
const inputs = Object.keys(result.metafile.inputs)
const foreign = inputs.filter(
  (f) => !f.startsWith('client/') && !f.startsWith('node_modules/hono/'),
)
if (foreign.length > 0) {
  console.error(`client: server code in the bundle: ${foreign.join(', ')}`)
  process.exit(1)
}
const bytes = readFileSync(outfile)
console.log(
  `client: ${outfile} ${(bytes.length / 1024).toFixed(1)} KB, ${(gzipSync(bytes).length / 1024).toFixed(1)} KB gzip (${inputs.length} files: client/ and hono/client)`,
)

// Declarations: the client's and the route types it names (an app reads these, not src/).
rmSync('dist/client/types', { recursive: true, force: true })
execFileSync('npx', ['tsc', '-p', 'client/tsconfig.json'], { stdio: 'inherit' })
console.log('client: declarations in dist/client/types (package export tvpay/client)')
