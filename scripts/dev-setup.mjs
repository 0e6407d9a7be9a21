// `npm run dev` runs this first: local secrets, migrations, demo data. Safe to run again.
//
//   node scripts/dev-setup.mjs [--vars-file .dev.vars] [--persist-to DIR] [--no-seed]
//
// scripts/dev-worker.mjs (the tour runner's and the fuzzer's wrangler dev) uses the options for a
// throwaway database and secrets file.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'

const { values: options } = parseArgs({
  options: {
    'vars-file': { type: 'string', default: '.dev.vars' },
    'persist-to': { type: 'string' },
    'no-seed': { type: 'boolean', default: false },
  },
})
const varsFile = options['vars-file']
const persist = options['persist-to'] ? ['--persist-to', options['persist-to']] : []

/** Creates .dev.vars, or adds any secret a newer version needs to an existing one. */
function devVars() {
  const existing = existsSync(varsFile) ? readFileSync(varsFile, 'utf8') : ''
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
  writeFileSync(varsFile, kept + sep + lines.join('\n') + '\n', { mode: 0o600 })
  console.log(`${varsFile}: generated ${missing.join(', ')} (local only, never committed)`)
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

/** Wrangler prints a table per migration run; one line says the same. Its output on failure. */
function migrate() {
  const wrangler = ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', ...persist]
  let out
  try {
    out = execFileSync('npx', wrangler, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    })
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`)
    throw new Error('Applying the D1 migrations failed (output above)')
  }
  const applied = (out.match(/│ \d{4}_\S+\.sql\s+│ ✅/g) ?? []).length
  console.log(applied ? `D1: applied ${applied} migration(s)` : 'D1: migrations up to date')
}

devVars()
migrate()
if (!options['no-seed'] && existsSync('scripts/seed.ts')) {
  run('npx', ['tsx', 'scripts/seed.ts', ...persist])
}
