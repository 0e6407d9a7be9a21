// Does a response match what /openapi.json documents for its operation? Status documented (or a
// `default`), and a JSON body valid against that status's schema (ajv, JSON Schema 2020-12, the
// dialect of OpenAPI 3.1).
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { Doc, Schema } from './generate'

export type Mismatch = {
  kind: 'server_error' | 'undocumented_status' | 'body_mismatch'
  detail: string
}

export function responseChecker(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true })
  ;(addFormats as unknown as (a: unknown) => void)(ajv)
  ajv.addSchema({ $id: 'openapi', components: rewrite(doc.components ?? {}) })
  const compiled = new Map<Schema, ReturnType<typeof ajv.compile>>()

  return function check(
    op: Schema,
    status: number,
    contentType: string,
    body: string,
  ): Mismatch | null {
    if (status >= 500) return { kind: 'server_error', detail: `${status} ${body.slice(0, 300)}` }
    const documented = op.responses?.[String(status)] ?? op.responses?.default
    if (!documented) {
      const listed = Object.keys(op.responses ?? {}).join(', ')
      return { kind: 'undocumented_status', detail: `${status} (documented: ${listed})` }
    }
    const content = documented.content as Record<string, { schema?: Schema }> | undefined
    if (!content) return null
    const type = contentType.split(';')[0]!.trim()
    const media = content[type] ?? (type.endsWith('json') ? content['application/json'] : undefined)
    if (!media) {
      return {
        kind: 'body_mismatch',
        detail: `${status} content-type ${type || '(none)'}, documented ${Object.keys(content).join(', ')}`,
      }
    }
    if (!media.schema || !type.endsWith('json')) return null
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return { kind: 'body_mismatch', detail: `${status} body is not JSON: ${body.slice(0, 120)}` }
    }
    let validate = compiled.get(media.schema)
    if (!validate) {
      validate = ajv.compile(rewrite(media.schema) as Schema)
      compiled.set(media.schema, validate)
    }
    if (validate(parsed)) return null
    const e = validate.errors?.[0]
    return {
      kind: 'body_mismatch',
      detail: `${status} ${e?.instancePath || '/'} ${e?.message} (${JSON.stringify(e?.params)}): ${body.slice(0, 160)}`,
    }
  }
}

/** `#/components/schemas/X` → `openapi#/components/schemas/X`, so ajv resolves it. */
function rewrite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewrite)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/')) out[k] = `openapi${v}`
      else out[k] = rewrite(v)
    }
    return out
  }
  return value
}
