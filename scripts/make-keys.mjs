#!/usr/bin/env node
// Prints a JWT_KEYS secret: a JWK Set of ES256 (P-256) private keys, each with a kid.
// The last key in the set signs new tokens; every key verifies. To rotate, append a new key,
// deploy, and retire the old one once every token it signed has expired (15 minutes for access
// tokens; payment receipts are verified against the JWKS, so keep a key while receipts it
// signed still need checking).
//
//   node scripts/make-keys.mjs                                   # a fresh set with one key
//   node scripts/make-keys.mjs --append current.json             # rotation: old keys + a new one
//   node scripts/make-keys.mjs --append current.json --retire k-20260101-ab12cd
//   node scripts/make-keys.mjs | npx wrangler secret put JWT_KEYS
//
// `--append -` reads the current set from stdin. The output is one line of JSON on stdout and
// nothing else, so it can be piped straight into `wrangler secret put`.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'

function fail(message) {
  process.stderr.write(`make-keys: ${message}\n`)
  process.exit(1)
}

function parseArgs(argv) {
  const opts = { append: null, retire: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--append')
      opts.append = argv[++i] ?? fail('--append needs a file (or - for stdin)')
    else if (arg === '--retire') opts.retire.push(argv[++i] ?? fail('--retire needs a kid'))
    else if (arg === '--help' || arg === '-h') {
      process.stderr.write(
        readFileSync(new URL(import.meta.url), 'utf8')
          .split('\n')
          .slice(1, 17)
          .join('\n') + '\n',
      )
      process.exit(0)
    } else fail(`unknown argument ${arg}`)
  }
  return opts
}

function readSet(source) {
  const text = source === '-' ? readFileSync(0, 'utf8') : readFileSync(source, 'utf8')
  let set
  try {
    set = JSON.parse(text)
  } catch {
    fail('the existing set is not JSON')
  }
  if (!Array.isArray(set?.keys)) fail('the existing set has no "keys" array')
  for (const k of set.keys) {
    if (k.kty !== 'EC' || k.crv !== 'P-256' || !k.d || !k.kid)
      fail(`key ${k.kid ?? '?'} is not an ES256 private JWK with a kid`)
  }
  return set.keys
}

function newKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '')
  const kid = `k-${day}-${randomBytes(3).toString('hex')}`
  const { kty, crv, x, y, d } = privateKey.export({ format: 'jwk' })
  return { kty, crv, x, y, d, kid, alg: 'ES256', use: 'sig' }
}

const opts = parseArgs(process.argv.slice(2))
let keys = opts.append ? readSet(opts.append) : []
for (const kid of opts.retire) {
  if (!keys.some((k) => k.kid === kid)) fail(`no key with kid ${kid} to retire`)
  keys = keys.filter((k) => k.kid !== kid)
}
keys.push(newKey())
if (new Set(keys.map((k) => k.kid)).size !== keys.length) fail('duplicate kid in the set')
process.stdout.write(JSON.stringify({ keys }) + '\n')
process.stderr.write(
  `make-keys: ${keys.length} key(s); signing with ${keys[keys.length - 1].kid}\n`,
)
