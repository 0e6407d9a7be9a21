// wrangler (and the Workers vitest pool) turn a static `import x from '….wasm'` into a compiled
// WebAssembly.Module: Workers refuse to compile Wasm from bytes at run time.
declare module '*.wasm' {
  const module: WebAssembly.Module
  export default module
}
