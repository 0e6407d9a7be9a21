// `npm run dev` runs this first: local secrets, migrations, demo data. Safe to run again.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { generateKeyPairSync, randomBytes } from 'node:crypto'

function devVars() {
  if (existsSync('.dev.vars')) return
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const kid = `dev-${new Date().toISOString().slice(0, 10)}`
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }
  const lines = [
    `ADMIN_TOKEN=${randomBytes(24).toString('base64url')}`,
    `JWT_KEYS=${JSON.stringify({ keys: [jwk] })}`,
    `PIN_PEPPER=${randomBytes(32).toString('base64url')}`,
  ]
  writeFileSync('.dev.vars', lines.join('\n') + '\n', { mode: 0o600 })
  console.log('Created .dev.vars with fresh local secrets (ADMIN_TOKEN is in there).')
}

function run(cmd, args) {
  execFileSync(cmd, args, { stdio: 'inherit' })
}

devVars()
run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local'])
if (existsSync('scripts/seed.ts')) run('npx', ['tsx', 'scripts/seed.ts'])
const admin = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync('.dev.vars', 'utf8'))?.[1]
console.log(`\nAdmin token for local calls: ${admin ? admin.slice(0, 4) + '… (see .dev.vars)' : 'see .dev.vars'}`)
