import { describe, expect, it } from 'vitest'

/**
 * The import graph, read from the source text (Vite inlines every file at transform time, so this
 * runs in workerd like every other test). The rules keep the connections between capabilities
 * where docs/architecture.md says they are.
 */
const sources = import.meta.glob(['/src/**/*.ts', '/tests/**/*.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>

type Edge = { from: string; to: string; sideEffect: boolean }

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:([\w*{}\s,$]+?)\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

/** Relative specifiers resolved to the /src/... or /tests/... file they name. */
export function importsOf(files: Record<string, string>): Edge[] {
  const edges: Edge[] = []
  for (const [from, text] of Object.entries(files)) {
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[2] ?? m[3]!
      if (!spec.startsWith('.')) continue
      const to = resolve(files, from, spec)
      edges.push({ from, to, sideEffect: m[2] !== undefined && m[1] === undefined })
    }
  }
  return edges
}

function resolve(files: Record<string, string>, from: string, spec: string): string {
  const parts = from.split('/').slice(0, -1)
  for (const p of spec.split('/')) {
    if (p === '..') parts.pop()
    else if (p !== '.') parts.push(p)
  }
  const path = parts.join('/')
  for (const candidate of [path, `${path}.ts`, `${path}/index.ts`]) {
    if (candidate in files) return candidate
  }
  return path
}

/**
 * The front door, and the receipt verifier: a standalone module with no Worker dependencies that
 * the TV app (web/tv) bundles on its own.
 */
const PAYMENTS_PUBLIC = ['/src/payments/index.ts', '/src/payments/receipt-verify.ts']

const inFolder = (path: string, folder: string) => path.startsWith(`/src/${folder}/`)
/** The shared layers under every capability: they import no capability, so none imports up. */
const isLayer = (path: string) => /^\/src\/(http|lib|db)\//.test(path)
const isCapability = (path: string) => /^\/src\/\w+\//.test(path) && !isLayer(path)
/** The one way down into a capability: the HTTP middleware asks auth who the bearer is. */
const PRINCIPAL = '/src/auth/principal.ts'
const isRoutes = (path: string) => /^\/src\/\w+\/routes\.ts$/.test(path)

/** Every broken rule, as "from -> to: why". */
export function violations(files: Record<string, string>): string[] {
  const found: string[] = []
  const say = (e: Edge, why: string) => found.push(`${e.from} -> ${e.to}: ${why}`)
  for (const e of importsOf(files)) {
    const src = e.from.startsWith('/src/')
    // Payments' own tests may reach inside the folder; nothing else may.
    const insidePayments = inFolder(e.from, 'payments') || e.from.startsWith('/tests/payments/')
    const mountsRoutes = e.from === '/src/app.ts' && e.to === '/src/payments/routes.ts'
    if (inFolder(e.to, 'payments') && !insidePayments && !mountsRoutes) {
      if (!PAYMENTS_PUBLIC.includes(e.to)) say(e, 'outside payments, import src/payments/index.ts')
    }
    if (inFolder(e.from, 'payments') && /^\/src\/(orders|deals|bills)\//.test(e.to)) {
      say(e, 'payments does not know its purposes: they come in as a parameter (src/wiring.ts)')
    }
    const edge =
      ['/src/app.ts', '/src/cron.ts', '/src/index.ts'].includes(e.from) || isRoutes(e.from)
    if (src && e.to === '/src/wiring.ts' && !edge) {
      say(e, 'only route files, the app and the cron import the wiring; pass what it holds on')
    }
    if (isLayer(e.from) && isCapability(e.to) && e.to !== PRINCIPAL) {
      say(
        e,
        'http, lib and db sit under the capabilities: pass the value in, or use auth/principal',
      )
    }
    if (src && e.sideEffect) say(e, 'no side-effect imports: import the value you use')
  }
  return found
}

describe('import boundaries', () => {
  it('reads the real graph', () => {
    const edges = importsOf(sources)
    expect(edges.length).toBeGreaterThan(300)
    expect(edges).toContainEqual({
      from: '/src/cron.ts',
      to: '/src/wiring.ts',
      sideEffect: false,
    })
  })

  it('holds for every file in src/ and tests/', () => {
    expect(violations(sources)).toEqual([])
  })

  it('catches each kind of violation', () => {
    const files = {
      '/src/payments/index.ts': '',
      '/src/payments/store.ts': "import { orderPurpose } from '../orders/purpose'",
      '/src/payments/routes.ts': "import { purposes } from '../wiring'",
      '/src/orders/purpose.ts': '',
      '/src/wiring.ts': '',
      '/src/deals/join.ts': [
        "import { newPaymentStatements } from '../payments'",
        "import type { PaymentRow } from '../payments/store'",
        "import './purpose'",
      ].join('\n'),
      '/src/deals/settlement.ts': "import { purposes } from '../wiring'",
      '/src/deals/purpose.ts': '',
      '/src/auth/principal.ts': '',
      '/src/auth/refresh.ts': '',
      '/src/http/auth.ts': [
        "import { authenticate } from '../auth/principal'",
        "import { userSessionIsLive } from '../auth/refresh'",
      ].join('\n'),
      '/tests/payments/x.test.ts': "import { toPayment } from '../../src/payments/store'",
      '/tests/deals/x.test.ts': "const { findPayment } = await import('../../src/payments/store')",
    }
    expect(violations(files).sort()).toEqual(
      [
        '/src/deals/join.ts -> /src/deals/purpose.ts: no side-effect imports: import the value you use',
        '/src/deals/join.ts -> /src/payments/store.ts: outside payments, import src/payments/index.ts',
        '/src/deals/settlement.ts -> /src/wiring.ts: only route files, the app and the cron import the wiring; pass what it holds on',
        '/src/http/auth.ts -> /src/auth/refresh.ts: http, lib and db sit under the capabilities: pass the value in, or use auth/principal',
        '/src/payments/store.ts -> /src/orders/purpose.ts: payments does not know its purposes: they come in as a parameter (src/wiring.ts)',
        '/tests/deals/x.test.ts -> /src/payments/store.ts: outside payments, import src/payments/index.ts',
      ].sort(),
    )
  })
})
