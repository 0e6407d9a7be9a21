// `npm run dev [-- <wrangler dev options>] [--sandbox-port 8788]`: local secrets, migrations and demo
// data (dev-setup.mjs), the pages (build-web.mjs), then the local Alipay sandbox and `wrangler dev`
// side by side. The Worker gets ALIPAY_GATEWAY_URL pointing at the sandbox and PUBLIC_BASE_URL =
// its own origin (so QR codes, confirmation links and Alipay's notify_url all work offline).
// Ctrl-C stops both.
//
//   npm run dev                       http://localhost:8787 (click the links on this machine)
//   npm run dev -- --port 8700
//   npm run dev -- --ip 0.0.0.0       listens on the network; QR codes carry this machine's LAN
//                                     address, so a phone on the same Wi-Fi can scan them
//   PUBLIC_BASE_URL=https://… npm run dev   (e.g. behind a tunnel)
import { execFileSync, spawn } from 'node:child_process'
import { networkInterfaces } from 'node:os'

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
console.log(`\nPUBLIC_BASE_URL=${origin}  TV app: ${origin}/tv/  API reference: ${origin}/docs\n`)

const children = []
const start = (cmd, cmdArgs) => {
  const child = spawn(cmd, cmdArgs, { stdio: 'inherit' })
  children.push(child)
  child.on('exit', (code) => {
    for (const other of children) if (other !== child && other.exitCode === null) other.kill()
    process.exitCode = code ?? 0
  })
  return child
}
start('npx', ['tsx', 'sandbox/alipay/main.ts', '--port', sandboxPort])
start('npx', [
  'wrangler',
  'dev',
  ...args,
  '--var',
  `ALIPAY_GATEWAY_URL:http://127.0.0.1:${sandboxPort}/gateway.do`,
  '--var',
  `PUBLIC_BASE_URL:${origin}`,
])
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) if (child.exitCode === null) child.kill(signal)
  })
}
