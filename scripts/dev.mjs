// `npm run dev [-- <wrangler dev options>] [--sandbox-port 8788]`: local secrets, migrations and demo
// data (dev-setup.mjs), the pages (build-web.mjs), then the local Alipay sandbox and `wrangler dev
// --test-scheduled` side by side. The Worker gets ALIPAY_GATEWAY_URL pointing at the sandbox and
// PUBLIC_BASE_URL = its own origin (so QR codes, confirmation links and Alipay's notify_url all
// work offline). Wrangler's output is kept short, and once the Worker is ready a summary says
// where everything is. Ctrl-C stops both.
//
//   npm run dev                       http://localhost:8787 (click the links on this machine)
//   npm run dev -- --port 8700
//   npm run dev -- --ip 0.0.0.0       listens on the network; QR codes carry this machine's LAN
//                                     address, so a phone on the same Wi-Fi can scan them
//   PUBLIC_BASE_URL=https://… npm run dev   (e.g. behind a tunnel)
import { execFileSync, spawn } from 'node:child_process'
import { networkInterfaces } from 'node:os'
import { createInterface } from 'node:readline'

const args = process.argv.slice(2)
const take = (name, fallback) => {
  const i = args.indexOf(name)
  if (i < 0) return fallback
  const [, value] = args.splice(i, 2)
  return value
}
const option = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : fallback
}
const sandboxPort = take('--sandbox-port', process.env.ALIPAY_SANDBOX_PORT ?? '8788')
const port = option('--port', '8787')

function lanAddress() {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  return 'localhost'
}

function publicOrigin() {
  if (process.env.PUBLIC_BASE_URL) return process.env.PUBLIC_BASE_URL
  const ip = option('--ip', 'localhost')
  const local = ['localhost', '127.0.0.1', '::1'].includes(ip)
  const host = local ? 'localhost' : ip === '0.0.0.0' ? lanAddress() : ip
  return `http://${host}:${port}`
}

execFileSync('node', ['scripts/dev-setup.mjs'], { stdio: 'inherit' })
execFileSync('node', ['scripts/build-web.mjs'], { stdio: 'inherit' })
const origin = publicOrigin()

const children = []
const start = (cmd, cmdArgs, options = {}) => {
  const child = spawn(cmd, cmdArgs, { stdio: 'inherit', ...options })
  children.push(child)
  child.on('exit', (code) => {
    for (const other of children) if (other !== child && other.exitCode === null) other.kill()
    process.exitCode = code ?? 0
  })
  return child
}
start('npx', ['tsx', 'sandbox/alipay/main.ts', '--port', sandboxPort])
const wrangler = start(
  'npx',
  [
    ...['wrangler', 'dev', '--test-scheduled', ...args],
    ...['--var', `ALIPAY_GATEWAY_URL:http://127.0.0.1:${sandboxPort}/gateway.do`],
    ...['--var', `PUBLIC_BASE_URL:${origin}`],
  ],
  {
    // Miniflare fetches `Request.cf` from the internet on every start (a stack trace offline).
    env: { CLOUDFLARE_CF_FETCH_ENABLED: 'false', ...process.env },
    stdio: ['inherit', 'pipe', 'pipe'],
  },
)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) if (child.exitCode === null) child.kill(signal)
  })
}

/** The Worker's JSON access log repeats wrangler's own request line; errors and others pass. */
const ACCESS_LOG = /^\{"rid":"[^"]*","m":"[A-Z]+","p":"[^"]*","s":\d+,"ms":\d+\}$/
const READY = /Ready on (https?:\/\/\S+)/
const REQUEST = /^\[wrangler:info\] GET (\S+) \d{3} /
/** Paths the summary asks about; wrangler's line for each such request is not shown. */
const probing = new Set()

/**
 * Probed at the address wrangler listens on, shown at PUBLIC_BASE_URL (a LAN address with
 * `--ip 0.0.0.0`). Pages another part of the app may not serve yet are left out.
 */
async function summary(base) {
  const serves = async (path) => {
    probing.add(path)
    return (await fetch(base + path).catch(() => null))?.status !== 404
  }
  const lines = [['API', origin, 'health: /healthz, OpenAPI: /openapi.json']]
  const pages = [
    ['TV app', '/tv/', 'arrow keys, Enter, Escape'],
    ['Phone', '/activate', 'pairs a TV; /pay/<id> confirms a payment'],
    ['Docs', '/docs', 'error codes: /docs/problems'],
  ]
  for (const [what, path, note] of pages) {
    if (await serves(path)) lines.push([what, origin + path, note])
  }
  lines.push(
    ['Alipay', `http://127.0.0.1:${sandboxPort}/`, 'the local sandbox: buyer pages, gateway.do'],
    ['Admin', 'ADMIN_TOKEN in .dev.vars', "ADMIN=$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars)"],
    ['Cron', `${origin}/__scheduled`, 'runs the scheduled tasks once'],
    ['Tours', 'bash tours/paying.sh', `BASE=${origin}; all of them: npm run test:tours`],
  )
  const text = lines.map(([what, where, note]) => `  ${what.padEnd(7)} ${where.padEnd(34)} ${note}`)
  return `\ntvpay is ready\n${text.join('\n')}\n\n`
}

function relay(stream, out) {
  createInterface({ input: stream }).on('line', (line) => {
    if (ACCESS_LOG.test(line)) return
    const request = REQUEST.exec(line)
    if (request && probing.delete(request[1])) return
    out.write(`${line}\n`)
    const ready = READY.exec(line)
    if (ready) summary(ready[1].replace(/\/$/, '')).then((text) => process.stdout.write(text))
  })
}
relay(wrangler.stdout, process.stdout)
relay(wrangler.stderr, process.stderr)
