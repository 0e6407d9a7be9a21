import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { SessionD1, readPrimaryFromNowOn, validBookmark } from '../../src/http/d1-session'
import { ADMIN, call } from '../helpers/http'

const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/

describe('x-d1-bookmark', () => {
  it('a response to a request that read D1 carries the session bookmark', async () => {
    const res = await call('GET', '/v1/categories?b=1')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-d1-bookmark')).toMatch(BOOKMARK)
  })

  it('round trip: a write returns a bookmark; a read sent with it is at least that fresh', async () => {
    const slug = `bm-${Date.now().toString(36)}`
    const write = await call('POST', '/v1/admin/categories', {
      headers: ADMIN,
      body: { categories: [{ slug, name: '书签' }] },
    })
    const afterWrite = write.headers.get('x-d1-bookmark')
    expect(afterWrite, write.text).toMatch(BOOKMARK)

    const read = await call('GET', `/v1/categories?fresh=${slug}`, {
      headers: { 'x-d1-bookmark': afterWrite! },
    })
    expect(read.status).toBe(200)
    expect(read.body.items.map((c: { slug: string }) => c.slug)).toContain(slug)
    const afterRead = read.headers.get('x-d1-bookmark')!
    expect(afterRead).toMatch(BOOKMARK)
    // Bookmarks sort oldest first: the read's session is never behind the bookmark it was given.
    expect(afterRead >= afterWrite!).toBe(true)
  })

  it('a request that makes no query hands back the bookmark it was sent', async () => {
    const sent = '00000001-00000002-00004e2f-0a83ea2fceebc654de0640c422be4653'
    const res = await call('GET', '/healthz', { headers: { 'x-d1-bookmark': sent } })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-d1-bookmark')).toBe(sent)
  })

  it('a malformed bookmark is ignored, never an error', async () => {
    for (const bad of [
      'garbage',
      'first-primary',
      '00000001-00000002-00004e2f',
      `${'f'.repeat(8)}-${'f'.repeat(8)}-${'f'.repeat(8)}-${'f'.repeat(33)}`,
      "'; DROP TABLE users; --",
      'x'.repeat(4000),
    ]) {
      const res = await call('GET', '/v1/categories', { headers: { 'x-d1-bookmark': bad } })
      expect(res.status, bad).toBe(200)
      const back = res.headers.get('x-d1-bookmark')
      expect(back === null || BOOKMARK.test(back), bad).toBe(true)
      expect(back).not.toBe(bad)
    }
  })

  it('validBookmark accepts the D1 format only (case and surrounding space forgiven)', () => {
    const b = '0000000A-00000002-00004E2F-0A83EA2FCEEBC654DE0640C422BE4653'
    expect(validBookmark(` ${b} `)).toBe(b.toLowerCase())
    expect(validBookmark('first-unconstrained')).toBeNull()
    expect(validBookmark(undefined)).toBeNull()
    expect(validBookmark('')).toBeNull()
  })
})

describe('SessionD1', () => {
  it('runs prepare and batch through one session and reports its bookmark', async () => {
    const db = new SessionD1(env.DB, 'first-unconstrained')
    expect(db.bookmark()).toBeNull()
    expect(await db.prepare('SELECT 1 AS one').first('one')).toBe(1)
    const [r] = await db.batch([db.prepare('SELECT 2 AS two')])
    expect(r!.results).toEqual([{ two: 2 }])
    expect(db.bookmark()).toMatch(BOOKMARK)
  })

  it('exec and dump refuse instead of bypassing the session', async () => {
    const db = new SessionD1(env.DB, 'first-primary')
    await expect(db.exec()).rejects.toThrow(/bypasses the request session/)
    await expect(db.dump()).rejects.toThrow()
  })

  it('continuing at the primary never moves the bookmark backwards', async () => {
    const db = new SessionD1(env.DB, 'first-primary')
    await db.prepare('SELECT 1').run()
    const before = db.bookmark()!
    readPrimaryFromNowOn(db)
    expect(db.bookmark()).toBe(before)
    await db.prepare('SELECT 1').run()
    expect(db.bookmark()! >= before).toBe(true)
    readPrimaryFromNowOn(env.DB) // the plain binding: nothing to do
  })
})
