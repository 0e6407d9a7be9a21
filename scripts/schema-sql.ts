// Regenerates schema.sql: applies every migration to an empty D1 (Miniflare, in memory) and
// writes the resulting schema. Run `npm run db:schema` after `npm run db:generate`.
import { writeFileSync } from 'node:fs'
import { readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { Miniflare } from 'miniflare'
import { dumpSchema } from '../src/db/schema-dump'

const mf = new Miniflare({
  modules: true,
  script: 'export default { fetch() { return new Response(null) } }',
  d1Databases: ['DB'],
})
try {
  const db = await mf.getD1Database('DB')
  for (const migration of await readD1Migrations('migrations')) {
    for (const query of migration.queries) await db.prepare(query).run()
  }
  const statements = await dumpSchema(db as never)
  const header =
    '-- The full current schema, generated from migrations/ by `npm run db:schema`.\n' +
    '-- Do not edit by hand: tests/db/schema-drift.test.ts fails when it drifts.\n'
  writeFileSync('schema.sql', header + statements.join('\n') + '\n')
  console.log(`schema.sql: ${statements.length} statements`)
} finally {
  await mf.dispose()
}
