// Builds the pages for people (web/) into dist/web, the Worker's static assets ([assets] in
// wrangler.toml). `npm run dev`, `npm test`, `npm run deploy` and `npm run test:e2e` run it first.
//
//   node scripts/build-web.mjs [--sizes]     --sizes prints the gzip size of each page's JS + CSS
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { problemsPage } from './problems-page.mjs'

const out = 'dist/web'
const started = Date.now()
// Empty it rather than delete it: a running `wrangler dev` keeps watching the same directory.
mkdirSync(out, { recursive: true })
for (const entry of readdirSync(out))
  rmSync(path.join(out, entry), { recursive: true, force: true })

// One bundle per page: a TV loads only the TV app, a phone only the page it opened.
const bundles = {
  'tv/app': 'web/tv/main.ts',
  'assets/activate': 'web/phone/activate.ts',
  'assets/pay': 'web/phone/pay.ts',
  'assets/devices': 'web/phone/devices.ts',
}
const result = await build({
  entryPoints: bundles,
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  // Chromium 79+ covers the TV browsers of the last few years (Tizen 6, webOS 6, Android TV
  // WebView) and phones; esbuild lowers newer syntax.
  target: ['chrome79', 'safari14'],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
})

// Pages: HTML copied as is (it names its bundle and stylesheet).
const pages = {
  'web/tv/index.html': 'tv/index.html',
  'web/phone/activate.html': 'activate.html',
  'web/phone/pay.html': 'pay.html',
  'web/phone/devices.html': 'devices.html',
  'web/docs/docs.html': 'docs.html',
  'web/docs/init.js': 'assets/swagger-ui/init.js',
  'web/_headers': '_headers',
}
for (const [from, to] of Object.entries(pages)) {
  mkdirSync(path.dirname(path.join(out, to)), { recursive: true })
  cpSync(from, path.join(out, to))
}
mkdirSync(path.join(out, 'docs'), { recursive: true })
writeFileSync(path.join(out, 'docs/problems.html'), await problemsPage())
// /docs: Swagger UI from the Worker itself, so the reference renders with no network beyond it.
const swagger = path.dirname(new URL(import.meta.resolve('swagger-ui-dist/package.json')).pathname)
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'])
  cpSync(path.join(swagger, file), path.join(out, 'assets/swagger-ui', file))

const gz = (file) => gzipSync(readFileSync(path.join(out, file)), { level: 9 }).length
const sizes = {}
for (const name of Object.keys(bundles)) {
  const files = [`${name}.js`, `${name}.css`].filter((f) => result.metafile.outputs[`${out}/${f}`])
  sizes[name] = { files, gzip: files.reduce((sum, f) => sum + gz(f), 0) }
}
writeFileSync(path.join(out, 'sizes.json'), JSON.stringify(sizes, null, 2) + '\n')
if (process.argv.includes('--sizes')) {
  for (const [name, s] of Object.entries(sizes))
    console.log(
      `${name.padEnd(18)} ${(s.gzip / 1024).toFixed(1).padStart(6)} KB gzip  (${s.files.join(' + ')})`,
    )
}
console.log(
  `web: built ${Object.keys(bundles).length} bundles into ${out} in ${Date.now() - started} ms`,
)
