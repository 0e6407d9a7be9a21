import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { argon2id } from '../../src/auth/argon2'
import { hashSecret } from '../../src/auth/hashing'
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  passwordNeedsRehash,
  verifyPassword,
} from '../../src/auth/passwords'
import { call } from '../helpers/http'
import { from, register, uniqueIp } from './helpers'

// Finding 9 of issue 14: PBKDF2 stops at 100,000 iterations in workerd; passwords are argon2id
// now, with the scheme and parameters in the stored string, and old hashes re-hashed on login.
const CURRENT = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/

async function storedHash(userId: string) {
  const row = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
    .bind(userId)
    .first<{ password_hash: string }>()
  return row!.password_hash
}

function login(phone: string, password: string) {
  return call('POST', '/v1/auth/login', { body: { phone, password }, headers: from(uniqueIp()) })
}

describe('password hashing', () => {
  it('argon2id through the imported Wasm module matches RFC 9106 (5.3)', async () => {
    const hash = await argon2id()
    const tag = hash({
      password: new Uint8Array(32).fill(1),
      salt: new Uint8Array(16).fill(2),
      secret: new Uint8Array(8).fill(3),
      ad: new Uint8Array(12).fill(4),
      parallelism: 4,
      passes: 3,
      memorySize: 32,
      tagLength: 32,
    })
    expect([...tag].map((b) => b.toString(16).padStart(2, '0')).join('')).toBe(
      '0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659',
    )
  })

  it('register stores argon2id with its parameters; the password logs in, another does not', async () => {
    const account = await register()
    expect(await storedHash(account.user.id)).toMatch(CURRENT)
    expect((await login(account.user.phone, account.password)).status).toBe(200)
    expect((await login(account.user.phone, 'wrong horse battery')).status).toBe(401)
  })

  it('a PBKDF2 hash from before still logs in and is re-hashed to argon2id by that login', async () => {
    const account = await register()
    const legacy = await hashSecret(account.password)
    await env.DB.prepare('UPDATE users SET password_hash = ? WHERE id = ?')
      .bind(legacy, account.user.id)
      .run()
    expect((await login(account.user.phone, 'not it at all')).status).toBe(401)
    expect(await storedHash(account.user.id)).toBe(legacy)

    const res = await login(account.user.phone, account.password)
    expect(res.status, res.text).toBe(200)
    const upgraded = await storedHash(account.user.id)
    expect(upgraded).toMatch(CURRENT)
    expect((await login(account.user.phone, account.password)).status).toBe(200)
    expect(await storedHash(account.user.id)).toBe(upgraded)
  })

  it('reads parameters from the stored string, re-hashes weaker ones, refuses hostile ones unread', async () => {
    const stored = await hashPassword('some password')
    expect(passwordNeedsRehash(stored)).toBe(false)
    const weaker = stored.replace('m=19456,t=2', 'm=8192,t=1')
    expect(passwordNeedsRehash(weaker)).toBe(true)
    expect(await verifyPassword('some password', weaker)).toBe(false)
    expect(await verifyPassword('some password', stored.replace('m=19456', 'm=4000000'))).toBe(
      false,
    )
    expect(await verifyPassword('some password', stored.replace('t=2', 't=99'))).toBe(false)
    expect(await verifyPassword('some password', 'garbage')).toBe(false)
    expect(passwordNeedsRehash('pbkdf2-sha256$100000$x$y')).toBe(true)
  })

  it('the dummy hash is at today’s cost and matches nothing', async () => {
    expect(passwordNeedsRehash(DUMMY_PASSWORD_HASH)).toBe(false)
    expect(await verifyPassword('', DUMMY_PASSWORD_HASH)).toBe(false)
    expect(await verifyPassword('short', await hashPassword('long enough'))).toBe(false)
    expect(await verifyPassword('correct horse battery', DUMMY_PASSWORD_HASH)).toBe(false)
  })
})
