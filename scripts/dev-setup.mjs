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
  if (missing.length === 0) return
  const lines = missing.map((name) => `${name}=${fresh[name]()}`)
  const sep = existing && !existing.endsWith('\n') ? '\n' : ''
  writeFileSync('.dev.vars', existing + sep + lines.join('\n') + '\n', { mode: 0o600 })
  console.log(`.dev.vars: generated ${missing.join(', ')} (local only, never committed)`)
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
