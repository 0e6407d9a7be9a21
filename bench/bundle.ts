// `npm run bench:bundle [-- name=other/index.js …]`: what the Worker bundle weighs and what it costs to
// start. Builds the Worker as a deploy would (`wrangler deploy --dry-run --outdir`), prints its raw
// and gzip size and its heaviest packages, then imports it RUNS times, each in a fresh process
// (bench/bundle-startup.mjs), next to a bare Worker (one fetch handler) imported the same way in
// the same run: the script's own share of a cold start (compile + top-level evaluation), without
// the runtime's. Medians, and ratios against the bare Worker. Another bundle (e.g. one built from
// an older commit) can be given to compare in the same run.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { sourceOf } from './build'
import { BUILD_DIR, ROOT } from './config'

const RUNS = Number(process.env.RUNS ?? 9)
const OUT = path.join(BUILD_DIR, 'bundle')

function buildBundle(): string {
  execFileSync('node', ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'ignore' })
  execFileSync(
    'npx',
    ['wrangler', 'deploy', '--dry-run', '--outdir', OUT, '--metafile', path.join(OUT, 'meta.json')],
    { cwd: ROOT, stdio: 'ignore' },
  )
  return path.join(OUT, 'index.js')
}

function sizes(file: string) {
  const bytes = readFileSync(file)
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
}

/** Bytes of bundle output per package (node_modules/<pkg>) or src/ folder, heaviest first. */
function heaviest(metaFile: string, top = 8) {
  const meta = JSON.parse(readFileSync(metaFile, 'utf8'))
  const output = Object.values(meta.outputs as Record<string, any>).find((o) => o.entryPoint)
  const by: Record<string, number> = {}
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs as Record<string, any>)) {
    const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
    const key = m ? m[1] : input.split('/').slice(0, 2).join('/')
    by[key] = (by[key] ?? 0) + bytesInOutput
  }
  return Object.entries(by)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
}

const BARE = path.join(OUT, 'bare', 'index.js')
function writeBare() {
  mkdirSync(path.dirname(BARE), { recursive: true })
  writeFileSync(BARE, "export default { fetch: () => new Response('bare', { status: 404 }) }\n")
}

const STARTUP = path.join(ROOT, 'bench', 'bundle-startup.mjs')

/** Milliseconds a fresh process takes to import (compile and evaluate) the bundle. */
function startOnce(scriptPath: string): number {
  const out = execFileSync(process.execPath, [STARTUP, scriptPath], { encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').pop()!).ms
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`

const source = sourceOf()
const current = buildBundle()
writeBare()
const bundles: Record<string, string> = { bare: BARE, current }
// More bundles to compare, as name=path (e.g. main=/tmp/main/index.js).
for (const arg of process.argv.slice(2)) {
  const [name, file] = arg.includes('=') ? arg.split('=') : ['other', arg]
  bundles[name!] = path.resolve(file!)
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`,
)
const changed = source.dirty ? ` with changes to ${source.changed.join(', ')}` : ''
console.log(`current  built from ${source.commit ?? 'no git checkout'}${changed}`)
for (const [name, file] of Object.entries(bundles)) {
  if (name === 'bare') continue
  const s = sizes(file)
  console.log(`${name.padEnd(8)} ${kib(s.raw)} raw, ${kib(s.gzip)} gzip  (${file})`)
}
console.log('heaviest in current:')
for (const [pkg, bytes] of heaviest(path.join(OUT, 'meta.json')))
  console.log(`  ${pkg.padEnd(34)} ${kib(bytes)}`)

const times: Record<string, number[]> = {}
for (let i = 0; i < RUNS; i++) {
  // Interleaved, so a burst of load on the machine falls on every bundle alike.
  for (const [name, file] of Object.entries(bundles)) (times[name] ??= []).push(startOnce(file))
}
const bare = median(times.bare!)
for (const [name, t] of Object.entries(times)) {
  const ms = median(t)
  console.log(
    `${name.padEnd(8)} import ${ms.toFixed(0)} ms (${(ms / bare).toFixed(1)}x bare; min ${Math.min(...t).toFixed(0)}, max ${Math.max(...t).toFixed(0)}; ${RUNS} runs, median)`,
  )
}
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
)
