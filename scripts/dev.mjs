// `npm run dev [-- <wrangler dev options>] [--sandbox-port 8788]`: local secrets, migrations and demo
// data (dev-setup.mjs), then the local Alipay sandbox and `wrangler dev` side by side. The Worker
// gets ALIPAY_GATEWAY_URL pointing at the sandbox and PUBLIC_BASE_URL = its own origin (so QR
// codes, confirmation links and Alipay's notify_url all work offline). Ctrl-C stops both.
import { execFileSync, spawn } from 'node:child_process'

const args = process.argv.slice(2)
const take = (name, fallback) => {
  const i = args.indexOf(name)
  if (i < 0) return fallback
  const [, value] = args.splice(i, 2)
  return value
}
const sandboxPort = take('--sandbox-port', process.env.ALIPAY_SANDBOX_PORT ?? '8788')
const portAt = args.indexOf('--port')
const port = portAt >= 0 ? args[portAt + 1] : '8787'

execFileSync('node', ['scripts/dev-setup.mjs'], { stdio: 'inherit' })

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
  `PUBLIC_BASE_URL:http://localhost:${port}`,
])
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) if (child.exitCode === null) child.kill(signal)
  })
}
