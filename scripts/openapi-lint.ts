import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import type { TestProject } from 'vitest/node'

/**
 * Lints an OpenAPI document with Redocly's `recommended` ruleset, offline (no config file, no
 * network). The linter needs Node, while the tests run in workerd: as a vitest globalSetup this
 * serves it on 127.0.0.1 (a random port) and hands the URL to the Workers pool, so
 * tests/http/openapi.test.ts lints the document the real Worker serves. Also a command:
 * `npx tsx scripts/openapi-lint.ts http://127.0.0.1:8787/openapi.json` (or a file path).
 */

export type LintProblem = { severity: string; rule: string; message: string; pointer?: string }

const config = createConfig({ extends: ['recommended'] })

export async function lintOpenApi(source: string): Promise<LintProblem[]> {
  const problems = await lintFromString({
    source,
    absoluteRef: '/openapi.json',
    config: await config,
  })
  return problems.map((p) => ({
    severity: p.severity,
    rule: p.ruleId,
    message: p.message,
    pointer: p.location[0]?.pointer,
  }))
}

export default async function setup(project: TestProject) {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    try {
      const problems = await lintOpenApi(Buffer.concat(chunks).toString('utf8'))
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(problems))
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  project.provide('openapiLinter', `http://127.0.0.1:${port}/lint`)
  return () => new Promise<void>((resolve) => server.close(() => resolve()))
}

declare module 'vitest' {
  export interface ProvidedContext {
    openapiLinter: string
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const target = process.argv[2] ?? 'http://127.0.0.1:8787/openapi.json'
  const { readFile } = await import('node:fs/promises')
  const source = /^https?:/.test(target)
    ? await (await fetch(target)).text()
    : await readFile(target, 'utf8')
  const problems = await lintOpenApi(source)
  for (const p of problems) console.log(`${p.severity} ${p.rule} ${p.pointer ?? ''}: ${p.message}`)
  const errors = problems.filter((p) => p.severity === 'error').length
  console.log(`${errors} errors, ${problems.length - errors} warnings`)
  process.exitCode = errors > 0 ? 1 : 0
}
