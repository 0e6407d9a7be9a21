// `npm run test:tours`: runs every tour (tours/*.sh) against a fresh `wrangler dev`, after
// checking that the README shows each tour exactly as it is. How to add a tour: tours/lib.sh.
//
//   node scripts/tours.mjs [name…]            fresh database and secrets, a free port
//   node scripts/tours.mjs --port 8800        that port for the Worker, the next two for its
//                                             inspector and the local Alipay sandbox
//   node scripts/tours.mjs --base URL [name…] against a server already running (npm run dev)
//   node scripts/tours.mjs --readme write     rewrite the README's tour blocks from tours/*.sh
//   node scripts/tours.mjs --readme check     only the README check
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startDevWorker } from './dev-worker.mjs'

const { values: args, positionals: only } = parseArgs({
  allowPositionals: true,
  options: {
    base: { type: 'string' },
    port: { type: 'string' },
    readme: { type: 'string' },
  },
})

const TOURS = readdirSync('tours')
  .filter((f) => f.endsWith('.sh') && f !== 'lib.sh')
  .map((f) => `tours/${f}`)

/** The README block of a tour: the script without its shebang, in a sh fence between markers. */
const BLOCK = /(<!-- tour: (tours\/[\w-]+\.sh) -->\n)[\s\S]*?(<!-- \/tour -->)/g
function tourBlock(file) {
  const body = readFileSync(file, 'utf8').replace(/^#!.*\n/, '')
  return `\`\`\`sh\n${body.trimEnd()}\n\`\`\`\n`
}

function readme(mode) {
  const text = readFileSync('README.md', 'utf8')
  const shown = new Set()
  const next = text.replace(BLOCK, (_, open, file, close) => {
    shown.add(file)
    return `${open}${tourBlock(file)}${close}`
  })
  const missing = TOURS.filter((t) => !shown.has(t))
  const problems = missing.map((t) => `README.md has no <!-- tour: ${t} --> block`)
  if (mode === 'write') {
    writeFileSync('README.md', next)
  } else if (next !== text) {
    problems.push('README.md tour blocks differ from tours/*.sh: run `npm run tours:readme`')
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'))
    process.exit(1)
  }
  console.log(`README.md shows ${shown.size} tours as they are`)
}

function runTour(file, env) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn('bash', [file], { env: { ...process.env, ...env } })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('exit', (code) => resolve({ file, ok: code === 0, out, ms: Date.now() - started }))
  })
}

if (args.readme) {
  readme(args.readme)
  process.exit(0)
}
readme('check')
for (const tool of ['jq', 'curl', 'openssl']) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
  } catch {
    console.error(`The tours need ${tool} on the PATH`)
    process.exit(1)
  }
}

const selected = only.length
  ? TOURS.filter((t) => only.some((name) => t === name || path.basename(t, '.sh') === name))
  : TOURS
const dir = args.base ? null : mkdtempSync(path.join(tmpdir(), 'tvpay-tours-'))
let server = null
let failed = 0
try {
  server = args.base
    ? { base: args.base.replace(/\/$/, '') }
    : await startDevWorker({
        dir,
        port: args.port ? Number(args.port) : undefined,
        testScheduled: true,
      })
  const vars = readFileSync(server.vars ?? '.dev.vars', 'utf8')
  const admin = process.env.ADMIN ?? /^ADMIN_TOKEN=(.*)$/m.exec(vars)?.[1] ?? ''
  console.log(`Tours against ${server.base}`)
  for (const file of selected) {
    const result = await runTour(file, { BASE: server.base, ADMIN: admin })
    console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${file} (${(result.ms / 1000).toFixed(1)} s)`)
    if (!result.ok) {
      failed++
      console.log(result.out.replace(/^/gm, '     '))
      if (server.log) console.log(`     wrangler dev said:\n${server.log().slice(-4000)}`)
    }
  }
} finally {
  server?.stop?.()
  if (dir) rmSync(dir, { recursive: true, force: true })
}
if (failed > 0) {
  console.error(`${failed} of ${selected.length} tours failed`)
  process.exit(1)
}
