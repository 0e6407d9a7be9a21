import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
  DUMMY_HASH,
  hashSecret,
  needsRehash,
  PBKDF2_ITERATIONS,
  verifySecret,
} from '../../src/auth/hashing'
import { hashPin, pinProblem, verifyPin } from '../../src/auth/pin'

describe('password and PIN hashing', () => {
  it('pins PBKDF2 at or below the 100,000 iterations Workers allow in production', async () => {
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000)
    expect(PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(100_000)
    const stored = await hashSecret('hunter22-hunter22')
    const [prefix, iterations, salt, hash] = stored.split('$')
    expect(prefix).toBe('pbkdf2-sha256')
    expect(Number(iterations)).toBe(PBKDF2_ITERATIONS)
    expect(salt).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('salts every record: the same secret hashes differently and both verify', async () => {
    const a = await hashSecret('same secret')
    const b = await hashSecret('same secret')
    expect(a).not.toBe(b)
    expect(await verifySecret('same secret', a)).toBe(true)
    expect(await verifySecret('same secret', b)).toBe(true)
    expect(await verifySecret('other secret', a)).toBe(false)
  })

  it('reads the iteration count from the stored hash, and refuses counts Workers would reject', async () => {
    const cheap = await hashSecret('old password', 1000)
    expect(await verifySecret('old password', cheap)).toBe(true)
    expect(needsRehash(cheap)).toBe(true)
    const [p, , salt, hash] = cheap.split('$')
    expect(await verifySecret('old password', [p, 200_000, salt, hash].join('$'))).toBe(false)
    expect(await verifySecret('x', 'garbage')).toBe(false)
  })

  it('the dummy hash is well formed and matches nothing', async () => {
    expect(needsRehash(DUMMY_HASH)).toBe(false)
    expect(await verifySecret('', DUMMY_HASH)).toBe(false)
    expect(await verifySecret('password', DUMMY_HASH)).toBe(false)
  })

  it('peppers PINs: the hash does not verify without PIN_PEPPER', async () => {
    const stored = await hashPin(env, '482913')
    expect(await verifyPin(env, '482913', stored)).toBe(true)
    expect(await verifyPin(env, '482914', stored)).toBe(false)
    expect(await verifySecret('482913', stored)).toBe(false)
    expect(await verifyPin({ PIN_PEPPER: 'another-pepper' }, '482913', stored)).toBe(false)
    expect(await verifyPin(env, '482913', null)).toBe(false)
  })

  it('refuses PINs that are trivial to guess', () => {
    expect(pinProblem('482913')).toBeNull()
    for (const weak of ['000000', '999999', '123456', '654321', '345678'])
      expect(pinProblem(weak)).not.toBeNull()
    for (const bad of ['12345', '1234567', '12a456', '']) expect(pinProblem(bad)).not.toBeNull()
  })
})
