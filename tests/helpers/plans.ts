import { queryPlan, recordingEnv } from '../catalog/recording-db'

/**
 * Runs `read` against the real test database and returns the plan of every statement it sent,
 * joined with ' | ', so a query-plan test checks the SQL the code builds rather than a copy of it.
 */
export async function plansOf(read: (env: Env) => Promise<unknown>): Promise<string[]> {
  const rec = recordingEnv()
  await read(rec.env)
  const plans: string[] = []
  for (const s of rec.statements) {
    plans.push(`${s.sql.replace(/\s+/g, ' ')}\n  ${(await queryPlan(s)).join(' | ')}`)
  }
  return plans
}
