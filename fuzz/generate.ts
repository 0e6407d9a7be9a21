// Requests from the OpenAPI document: a fast-check arbitrary per JSON Schema (valid values), and
// the ways a request goes wrong (boundary values, wrong types, missing and extra fields,
// oversized strings, hostile unicode). Used by fuzz/run.ts.
import fc from 'fast-check'

export type Schema = Record<string, any>
export type Doc = {
  paths: Record<string, Record<string, any>>
  components?: { schemas?: Record<string, Schema> }
}

export type Variant =
  | 'valid'
  | 'boundary'
  | 'wrong_type'
  | 'missing_field'
  | 'extra_field'
  | 'oversized'
  | 'hostile_unicode'
  | 'not_json'

export const VARIANTS: Variant[] = [
  'valid',
  'valid',
  'boundary',
  'wrong_type',
  'missing_field',
  'extra_field',
  'oversized',
  'hostile_unicode',
  'not_json',
]

/** Strings that have broken parsers, databases, logs and renderers before. */
export const HOSTILE = [
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF\uD800',
  '\u202Eevil\u202C',
  '\u200B\u200C\u200D\uFEFF',
  'Ａ\u0301\u0301\u0301\u0301\u0301',
  '👨‍👩‍👧‍👦🏳️‍🌈',
  'İıſK',
  '../../../../etc/passwd',
  '%2e%2e%2f%00',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '"; DROP TABLE payments; --',
  '${7*7}{{7*7}}',
  '\r\nSet-Cookie: x=y',
  '9'.repeat(400),
  '-0',
  '1e309',
  'NaN',
  '4242424242424242',
  '张伟'.repeat(200),
]

/** Ids the API handed out so far (fuzz/run.ts fills it): `*_id` fields draw from it too. */
export const knownIds: string[] = []
/** Known good values by field name (the fuzzing user's PIN, `wallet`), drawn half the time. */
export const knownValues: Record<string, string[]> = {}

export function resolve(doc: Doc, schema: Schema | undefined): Schema {
  let s = schema ?? {}
  for (let i = 0; s.$ref && i < 20; i++) {
    const name = String(s.$ref).replace('#/components/schemas/', '')
    s = doc.components?.schemas?.[name] ?? {}
  }
  return s
}

function types(s: Schema): string[] {
  if (Array.isArray(s.type)) return s.type
  if (s.type) return [s.type]
  if (s.properties) return ['object']
  if (s.items) return ['array']
  return []
}

/** A valid value for the schema (as far as JSON Schema says; business rules are not known). */
export function valueOf(doc: Doc, schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema)
  if (s.const !== undefined) return fc.constant(s.const)
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum)
  const alternatives = s.anyOf ?? s.oneOf
  if (Array.isArray(alternatives) && alternatives.length)
    return fc.oneof(...alternatives.map((a: Schema) => valueOf(doc, a, depth + 1)))
  if (Array.isArray(s.allOf) && s.allOf.length) {
    const merged = s.allOf.map((a: Schema) => resolve(doc, a))
    const props = Object.assign({}, ...merged.map((m: Schema) => m.properties ?? {}))
    const required = merged.flatMap((m: Schema) => m.required ?? [])
    return valueOf(doc, { type: 'object', properties: props, required }, depth + 1)
  }
  const t = types(s)
  if (t.length > 1) return fc.oneof(...t.map((one) => valueOf(doc, { ...s, type: one }, depth + 1)))
  switch (t[0]) {
    case 'null':
      return fc.constant(null)
    case 'boolean':
      return fc.boolean()
    case 'integer':
    case 'number': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1e6)
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1e6)
      const lo = Math.max(Math.ceil(min), Number.MIN_SAFE_INTEGER)
      const hi = Math.min(Math.floor(max), Number.MAX_SAFE_INTEGER)
      // Mostly small: real amounts and counts are.
      return fc.oneof(
        {
          weight: 3,
          arbitrary: fc.integer({ min: lo, max: Math.min(hi, Math.max(lo, lo + 5000)) }),
        },
        { weight: 1, arbitrary: fc.integer({ min: lo, max: hi }) },
      )
    }
    case 'string':
      return stringOf(s)
    case 'array': {
      if (depth > 4) return fc.constant([])
      const minLength = s.minItems ?? 0
      const maxLength = Math.max(minLength, Math.min(s.maxItems ?? 4, 4))
      return fc.array(valueOf(doc, s.items, depth + 1), { minLength, maxLength })
    }
    case 'object': {
      if (depth > 5) return fc.constant({})
      const props: Record<string, Schema> = s.properties ?? {}
      const required: string[] = s.required ?? []
      const model: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [k, v] of Object.entries(props)) {
        const generated = valueOf(doc, v, depth + 1)
        const isId = /(^|_)id$/.test(k) && types(resolve(doc, v)).includes('string')
        // A real id half the time, so orders, payments and confirmations get past their 404s.
        model[k] =
          isId && knownIds.length ? fc.oneof(fc.constantFrom(...knownIds), generated) : generated
      }
      return fc.record(model, { requiredKeys: required.filter((k) => k in props) })
    }
    default:
      return fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null))
  }
}

function stringOf(s: Schema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? 40, 200))
  if (s.pattern) {
    try {
      const re = new RegExp(s.pattern)
      return fc
        .stringMatching(re)
        .filter(
          (v) => v.length >= minLength && v.length <= (s.maxLength ?? Number.MAX_SAFE_INTEGER),
        )
    } catch {
      // a pattern JavaScript cannot read: plain strings
    }
  }
  switch (s.format) {
    case 'date-time':
      return fc
        .date({ min: new Date('2000-01-01'), max: new Date('2040-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString())
    case 'date':
      return fc
        .date({ min: new Date('2000-01-01'), max: new Date('2040-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10))
    case 'email':
      return fc.emailAddress()
    case 'uri':
    case 'url':
      return fc.webUrl()
    case 'uuid':
      return fc.uuid()
  }
  return fc.string({ minLength, maxLength, unit: 'grapheme' })
}

/** A value at or just past the schema's edges. */
export function boundaryOf(doc: Doc, schema: Schema | undefined): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema)
  const t = types(s)
  if (t.includes('integer') || t.includes('number')) {
    const edges = [
      0,
      -1,
      1,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER + 2,
      -Number.MAX_SAFE_INTEGER,
      1.5,
      2 ** 31,
      2 ** 63,
    ]
    for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'])
      if (typeof s[k] === 'number') edges.push(s[k] - 1, s[k], s[k] + 1)
    return fc.constantFrom(...edges)
  }
  if (t.includes('string')) {
    const lengths = [0, 1]
    if (typeof s.minLength === 'number') lengths.push(Math.max(0, s.minLength - 1), s.minLength)
    if (typeof s.maxLength === 'number') lengths.push(s.maxLength, s.maxLength + 1)
    return fc.constantFrom(...lengths).map((n) => 'x'.repeat(n))
  }
  if (t.includes('array')) {
    const counts = [0, s.minItems ?? 0, s.maxItems ?? 10, (s.maxItems ?? 10) + 1]
    return fc
      .constantFrom(...counts)
      .chain((n) => fc.array(valueOf(doc, s.items, 3), { minLength: n, maxLength: n }))
  }
  return valueOf(doc, s)
}

/** Something of another JSON type than the schema wants. */
export const wrongType = fc.constantFrom<unknown>(
  'text',
  12345,
  -1,
  1.25,
  true,
  null,
  [],
  [1, 2],
  {},
  { nested: { deep: [null] } },
)

/** Every place in a generated value where a leaf could be replaced, as a path of keys. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))]
  if (value && typeof value === 'object')
    return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))]
  return [prefix]
}

function setAt(
  value: unknown,
  path: (string | number)[],
  next: (old: unknown) => unknown,
): unknown {
  if (path.length === 0) return next(value)
  const [head, ...rest] = path
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? setAt(v, rest, next) : v))
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
    copy[head as string] = setAt(copy[head as string], rest, next)
    return copy
  }
  return value
}

function dropAt(value: unknown, path: (string | number)[]): unknown {
  if (path.length === 0) return undefined
  if (path.length === 1 && value && typeof value === 'object' && !Array.isArray(value)) {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
    delete copy[path[0] as string]
    return copy
  }
  const [head, ...rest] = path
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
    copy[head as string] = dropAt(copy[head as string], rest)
    return copy
  }
  return value
}

/** A JSON body for the variant: valid from the schema, then broken the variant's way. */
export function bodyOf(
  doc: Doc,
  schema: Schema | undefined,
  variant: Variant,
): fc.Arbitrary<unknown> {
  const valid = valueOf(doc, schema)
  switch (variant) {
    case 'valid':
      return valid
    case 'boundary':
      return valid.chain((v) => {
        const s = resolve(doc, schema)
        const props = Object.entries((s.properties ?? {}) as Record<string, Schema>)
        if (!props.length || !v || typeof v !== 'object') return boundaryOf(doc, s)
        return fc
          .constantFrom(...props)
          .chain(([k, p]) => boundaryOf(doc, p).map((b) => ({ ...(v as object), [k]: b })))
      })
    case 'wrong_type':
      return fc.tuple(valid, fc.nat(), wrongType).map(([v, i, w]) => {
        const all = paths(v)
        return setAt(v, all[i % all.length]!, () => w)
      })
    case 'missing_field':
      return fc.tuple(valid, fc.nat()).map(([v, i]) => {
        const all = paths(v).filter((p) => p.length > 0)
        return all.length ? dropAt(v, all[i % all.length]!) : undefined
      })
    case 'extra_field':
      return fc
        .tuple(valid, fc.string({ minLength: 1, maxLength: 12 }), wrongType)
        .map(([v, k, w]) =>
          v && typeof v === 'object' && !Array.isArray(v)
            ? { ...v, [`x_${k}`]: w, __proto__x: 1 }
            : [v, w],
        )
    case 'oversized':
      return fc
        .tuple(valid, fc.nat(), fc.constantFrom(10_000, 100_000, 1_100_000))
        .map(([v, i, n]) => {
          const strings = paths(v).filter((p) => typeof get(v, p) === 'string')
          if (!strings.length)
            return { ...(typeof v === 'object' && v ? v : {}), padding: 'x'.repeat(n) }
          return setAt(v, strings[i % strings.length]!, () => 'é'.repeat(n))
        })
    case 'hostile_unicode':
      return fc.tuple(valid, fc.nat(), fc.constantFrom(...HOSTILE)).map(([v, i, h]) => {
        const strings = paths(v).filter((p) => typeof get(v, p) === 'string')
        if (!strings.length) return v
        return setAt(v, strings[i % strings.length]!, () => h)
      })
    case 'not_json':
      return fc.constant(undefined)
  }
}

function get(value: unknown, path: (string | number)[]): unknown {
  let v: any = value
  for (const k of path) v = v?.[k]
  return v
}
