// Loads the demo store into the local D1 that `wrangler dev` uses. `npm run dev` runs it after
// applying migrations. Safe to run again: every row is an upsert by sku or slug, and a run whose
// fingerprint (seed, count, migrations, generator, writers) matches the last one is skipped.
//
//   npx tsx scripts/seed.ts [--products 2000] [--seed S] [--persist-to DIR] [--force] [--sql-only]
//
// --sql-only writes the SQL files (under .wrangler/seed/) without running them, e.g. to load a
// remote demo database with `wrangler d1 execute DB --remote --file …`.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SEED } from './seed/catalog'
import { writeSeedFiles } from './seed/files'
import { seedFingerprint } from './seed/fingerprint'
import { SEED_MODULES } from './seed/registry'

const { values: args } = parseArgs({
  options: {
    products: { type: 'string', default: '2000' },
    seed: { type: 'string', default: DEFAULT_SEED },
    'persist-to': { type: 'string' },
    out: { type: 'string', default: '.wrangler/seed' },
    force: { type: 'boolean', default: false },
    'sql-only': { type: 'boolean', default: false },
  },
})

const products = Number(args.products)
if (!Number.isSafeInteger(products) || products < 0) {
  console.error(`--products must be a whole number, got ${args.products}`)
  process.exit(2)
}

// Kept beside the database it describes: wiping the local state wipes the marker too.
const marker = path.join(args['persist-to'] ?? '.wrangler/state', 'tvpay-seed.json')
const fingerprint = seedFingerprint(SEED_MODULES, { seed: args.seed, products })
const last = existsSync(marker) ? JSON.parse(readFileSync(marker, 'utf8')) : null
if (!args.force && !args['sql-only'] && last?.fingerprint === fingerprint) {
  console.log(`Demo data is up to date (${products} products, seeded ${last.at}); --force reseeds.`)
  process.exit(0)
}

const started = Date.now()
const files = writeSeedFiles(args.out, SEED_MODULES, { seed: args.seed, products, now: started })
const megabytes = files.reduce((sum, f) => sum + f.bytes, 0) / 1024 / 1024
console.log(`Seed: ${files.length} SQL files (${megabytes.toFixed(1)} MB) in ${args.out}`)
if (args['sql-only']) process.exit(0)

const persist = args['persist-to'] ? ['--persist-to', args['persist-to']] : []
for (const f of files) {
  try {
    const wrangler = ['wrangler', 'd1', 'execute', 'DB', '--local', '--file', f.file, ...persist]
    execFileSync('npx', wrangler, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string }
    console.error(`Seeding ${f.file} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`)
    process.exit(1)
  }
  console.log(`  ${f.file}: ${f.units} ${f.module} units`)
}
const at = new Date().toISOString()
writeFileSync(marker, JSON.stringify({ fingerprint, products, at }) + '\n')
const seconds = ((Date.now() - started) / 1000).toFixed(1)
const modules = SEED_MODULES.map((m) => m.name).join(', ')
console.log(`Seeded ${products} products (${modules}) in ${seconds} s`)
