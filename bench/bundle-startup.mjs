// One cold start of a Worker bundle, for bench/bundle.ts: a fresh Node process (V8, as in workerd)
// imports the bundle and prints how long the import took: compiling the script and running its
// top level (every module the bundle evaluates at load). `cloudflare:workers` is stood in for by a
// DurableObject base class, the only thing the bundle imports from it; a `.wasm` module becomes a
// compiled WebAssembly.Module, as workerd gives it.
import { register } from 'node:module'
import { pathToFileURL } from 'node:url'

const stub =
  'export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env } }'
const hooks = `export async function resolve(specifier, context, next) {
  if (specifier === 'cloudflare:workers')
    return { url: 'data:text/javascript,' + encodeURIComponent(${JSON.stringify(stub)}), shortCircuit: true }
  return next(specifier, context)
}
export async function load(url, context, next) {
  if (!url.endsWith('.wasm')) return next(url, context)
  // As workerd does with a Worker's wasm modules: a compiled WebAssembly.Module, at startup.
  const source = 'const { readFileSync } = await import("node:fs");' +
    'export default new WebAssembly.Module(readFileSync(new URL(' + JSON.stringify(url) + ')))'
  return { format: 'module', source, shortCircuit: true }
}`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)

const started = performance.now()
const mod = await import(pathToFileURL(process.argv[2]).href)
const ms = performance.now() - started
if (!mod.default) throw new Error('the bundle has no default export')
console.log(JSON.stringify({ ms }))
