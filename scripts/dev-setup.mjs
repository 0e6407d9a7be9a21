// `npm run dev` runs this first: local secrets, migrations, demo data. Safe to run again.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { generateKeyPairSync, randomBytes } from 'node:crypto'

/** Creates .dev.vars, or adds any secret a newer version needs to an existing one. */
function devVars() {
  const existing = existsSync('.dev.vars') ? readFileSync('.dev.vars', 'utf8') : ''
  const has = (name) => new RegExp(`^${name}=`, 'm').test(existing)
  const fresh = {
    ADMIN_TOKEN: () => randomBytes(24).toString('base64url'),
    JWT_KEYS: () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const kid = `dev-${new Date().toISOString().slice(0, 10)}`
      return JSON.stringify({
        keys: [{ ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }],
      })
    },
    PIN_PEPPER: () => randomBytes(32).toString('base64url'),
    BILLER_FEED_KEY: () => randomBytes(32).toString('base64url'),
  }
  const missing = Object.keys(fresh).filter((name) => !has(name))
  const lines = missing.map((name) => `${name}=${fresh[name]()}`)
  // The Alipay keys come in pairs, so they are written together (replacing any half-written set).
  let kept = existing
  if (ALIPAY_VARS.some((name) => !has(name))) {
    const alipay = alipayKeys()
    kept = existing
      .split('\n')
      .filter((line) => !ALIPAY_VARS.includes(line.split('=')[0]))
      .join('\n')
    lines.push(...Object.entries(alipay).map(([name, value]) => `${name}=${value}`))
    missing.push('the Alipay app and sandbox key pairs')
  }
  if (missing.length === 0) return
  const sep = kept && !kept.endsWith('\n') ? '\n' : ''
  writeFileSync('.dev.vars', kept + sep + lines.join('\n') + '\n', { mode: 0o600 })
  console.log(`.dev.vars: generated ${missing.join(', ')} (local only, never committed)`)
}

const ALIPAY_VARS = [
  'ALIPAY_APP_ID',
  'ALIPAY_GATEWAY_URL',
  'ALIPAY_APP_PRIVATE_KEY',
  'ALIPAY_PUBLIC_KEY',
  'ALIPAY_SANDBOX_PRIVATE_KEY',
  'ALIPAY_SANDBOX_APP_PUBLIC_KEY',
]

/**
 * Alipay for local development: the app's key pair (its private half is the Worker's secret, its
 * public half what one uploads to Alipay) and the local sandbox's own pair (its public half is the
 * Worker's ALIPAY_PUBLIC_KEY). Bare base64, as Alipay's key tool prints keys. scripts/dev.mjs points
 * ALIPAY_GATEWAY_URL at the sandbox it starts.
 */
function alipayKeys() {
  const bare = (key, type) => key.export({ type, format: 'der' }).toString('base64')
  const app = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const sandbox = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    ALIPAY_APP_ID: '2021000000000001',
    ALIPAY_GATEWAY_URL: 'http://127.0.0.1:8788/gateway.do',
    ALIPAY_APP_PRIVATE_KEY: bare(app.privateKey, 'pkcs8'),
    ALIPAY_PUBLIC_KEY: bare(sandbox.publicKey, 'spki'),
    ALIPAY_SANDBOX_PRIVATE_KEY: bare(sandbox.privateKey, 'pkcs8'),
    ALIPAY_SANDBOX_APP_PUBLIC_KEY: bare(app.publicKey, 'spki'),
  }
}

function run(cmd, args) {
  execFileSync(cmd, args, { stdio: 'inherit' })
}

devVars()
run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local'])
if (existsSync('scripts/seed.ts')) run('npx', ['tsx', 'scripts/seed.ts'])
const admin = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync('.dev.vars', 'utf8'))?.[1]
console.log(
  `\nAdmin token for local calls: ${admin ? admin.slice(0, 4) + '… (see .dev.vars)' : 'see .dev.vars'}`,
)
