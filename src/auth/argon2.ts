import type { computeHash } from 'argon2id/lib/setup.js'
import setupWasm from 'argon2id/lib/setup.js'
import simdWasm from 'argon2id/dist/simd.wasm'
import plainWasm from 'argon2id/dist/no-simd.wasm'

/**
 * Argon2id (RFC 9106) from the openpgpjs `argon2id` package: its Wasm files are imported as
 * modules (compiled at deploy time), because Workers refuse WebAssembly.compile() on bytes, which
 * is how hash-wasm loads. The instance (and its memory, 65 MB as the package builds it) is made on
 * the first hash in an isolate and kept; the hash itself is synchronous, so calls never interleave.
 */
let loaded: Promise<computeHash> | undefined

export function argon2id(): Promise<computeHash> {
  loaded ??= setupWasm(
    async (imports) => ({
      instance: await WebAssembly.instantiate(simdWasm, imports),
      module: simdWasm,
    }),
    async (imports) => ({
      instance: await WebAssembly.instantiate(plainWasm, imports),
      module: plainWasm,
    }),
  ).catch((err) => {
    loaded = undefined
    throw err
  })
  return loaded
}
