// `npx tsx sandbox/alipay/main.ts [--port 8788]`: the local Alipay beside `wrangler dev`. Reads its
// keys from .dev.vars (scripts/dev-setup.mjs writes them): ALIPAY_APP_ID, ALIPAY_SANDBOX_PRIVATE_KEY
// (its own key; the Worker's ALIPAY_PUBLIC_KEY is the public half) and
// ALIPAY_SANDBOX_APP_PUBLIC_KEY (the public half of the Worker's ALIPAY_APP_PRIVATE_KEY).
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createAlipaySandbox } from './server'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.ALIPAY_SANDBOX_PORT ?? '8788' },
    host: { type: 'string', default: '127.0.0.1' },
    vars: { type: 'string', default: '.dev.vars' },
  },
})

const vars = Object.fromEntries(
  readFileSync(values.vars, 'utf8')
    .split('\n')
    .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
    .filter((m) => m !== null)
    .map((m) => [m[1], m[2].replace(/^"(.*)"$/, '$1')]),
)
const need = ['ALIPAY_APP_ID', 'ALIPAY_SANDBOX_PRIVATE_KEY', 'ALIPAY_SANDBOX_APP_PUBLIC_KEY']
const missing = need.filter((name) => !vars[name])
if (missing.length > 0) {
  console.error(`alipay sandbox: ${values.vars} lacks ${missing.join(', ')} (run npm run dev)`)
  process.exit(1)
}

const sandbox = createAlipaySandbox({
  appId: vars.ALIPAY_APP_ID,
  appPublicKey: vars.ALIPAY_SANDBOX_APP_PUBLIC_KEY,
  alipayPrivateKey: vars.ALIPAY_SANDBOX_PRIVATE_KEY,
  log: (line) => console.log(`[alipay sandbox] ${line}`),
})
const url = await sandbox.listen(Number(values.port), values.host)
console.log(`[alipay sandbox] gateway ${url}/gateway.do · buyer ${url}/`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => sandbox.close().then(() => process.exit(0)))
}
