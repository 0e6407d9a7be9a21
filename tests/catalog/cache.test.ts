import { env } from 'cloudflare:test'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  bumpCatalogVersion,
  catalogVersion,
  catalogVersionBumpStatement,
  VERSION_TTL_MS,
} from '../../src/catalog/cache'
import { edgeHits, edgeWrites, etagMatches } from '../../src/http/cache'
import {
  ISOLATE_CACHE_MAX_BYTES,
  isolateCacheClear,
  isolateCacheGet,
  isolateCachePut,
  isolateCacheStats,
} from '../../src/http/isolate-cache'
import { call } from '../helpers/http'
import { createTestDevice, createTestUser } from '../helpers/principals'
import { adminCategories, adminProducts, product, uniq } from './fixtures'

let slug = ''
let productId = ''
let sku = ''

beforeAll(async () => {
  slug = uniq('tv')
  await adminCategories([{ slug, name: '电视' }])
  sku = uniq('sku')
  productId = (await adminProducts([product(sku, '小米电视 缓存', slug)]))[0]!.id
})

// Each test starts like a fresh isolate: the edge is asked first, edge writes have budget.
beforeEach(() => {
  edgeHits.reset()
  edgeWrites.reset()
})

const publicReads = () => [
  '/v1/home',
  '/v1/categories',
  '/v1/products?limit=5',
  `/v1/products/${productId}`,
  '/v1/search/suggest?q=ds',
  '/v1/search?q=xiaomi',
]

describe('ETag and Cache-Control', () => {
  it('every public read sends a strong ETag and public, no-cache', async () => {
    for (const path of publicReads()) {
      const res = await call('GET', path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('etag'), path).toMatch(/^"[A-Za-z0-9_-]{16}"$/)
      expect(res.headers.get('cache-control'), path).toBe('public, no-cache')
    }
  })

  it('If-None-Match with the current ETag answers 304 with no body, also as W/ or in a list', async () => {
    for (const path of publicReads()) {
      const etag = (await call('GET', path)).headers.get('etag')!
      for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const res = await call('GET', path, { headers: { 'if-none-match': inm } })
        expect(res.status, `${path} ${inm}`).toBe(304)
        expect(res.text).toBe('')
        expect(res.headers.get('etag')).toBe(etag)
      }
      const stale = await call('GET', path, { headers: { 'if-none-match': '"not-this-one"' } })
      expect(stale.status).toBe(200)
    }
  })

  it('weak comparison per RFC 9110', () => {
    expect(etagMatches('W/"a"', '"a"')).toBe(true)
    expect(etagMatches('"a" , "b"', '"b"')).toBe(true)
    expect(etagMatches('"ab"', '"a"')).toBe(false)
    expect(etagMatches(undefined, '"a"')).toBe(false)
  })
})

describe('Workers Cache API', () => {
  it('serves a repeated read from the cache', async () => {
    const path = `/v1/products/${productId}?cache=${uniq('k')}`
    expect((await call('GET', path)).headers.get('x-cache')).toBe('MISS')
    const again = await call('GET', path)
    expect(again.headers.get('x-cache')).toBe('HIT')
    expect(again.body.title).toBe('小米电视 缓存')
  })

  it('an admin write makes every cached page unreachable at once', async () => {
    const paths = [`/v1/products/${productId}`, '/v1/search/suggest?q=xiaomi', '/v1/categories']
    for (const p of paths) await call('GET', p)
    for (const p of paths) expect((await call('GET', p)).headers.get('x-cache'), p).toBe('HIT')
    const etag = (await call('GET', paths[0]!)).headers.get('etag')!

    await adminProducts([product(sku, '小米电视 新款', slug)])
    const fresh = await call('GET', paths[0]!, { headers: { 'if-none-match': etag } })
    expect(fresh.status).toBe(200)
    expect(fresh.headers.get('x-cache')).toBe('MISS')
    expect(fresh.body.title).toBe('小米电视 新款')
    const suggest = await call('GET', paths[1]!)
    expect(suggest.headers.get('x-cache')).toBe('MISS')
    expect(suggest.body.items.find((i: any) => i.id === productId).title).toBe('小米电视 新款')
  })

  it('a bump from elsewhere (another isolate, a deal write) is seen within the version TTL', async () => {
    const path = `/v1/products/${productId}?ttl=${uniq('k')}`
    await call('GET', path)
    expect((await call('GET', path)).headers.get('x-cache')).toBe('HIT')
    await env.DB.prepare('UPDATE catalog_state SET version = version + 1 WHERE id = 1').run()
    await new Promise((r) => setTimeout(r, VERSION_TTL_MS + 50))
    expect((await call('GET', path)).headers.get('x-cache')).toBe('MISS')
  })

  it('a signed-in home is never stored in the shared cache', async () => {
    const user = await createTestUser()
    const device = await createTestDevice(user.id)
    for (let i = 0; i < 2; i++) {
      const res = await call('GET', '/v1/home', { token: device.token })
      expect(res.status).toBe(200)
      expect(res.headers.get('x-cache')).toBe('BYPASS')
      expect(res.headers.get('cache-control')).toBe('private, no-cache')
      expect(res.headers.get('etag')).toBeTruthy()
    }
  })

  it('errors are not cached', async () => {
    const path = '/v1/products/prod_missing'
    expect((await call('GET', path)).status).toBe(404)
    await adminProducts([product(uniq('other'), '无关 商品', slug)])
    const again = await call('GET', path)
    expect(again.status).toBe(404)
    expect(again.headers.get('x-cache')).toBeNull()
  })
})

describe('catalog version', () => {
  it('bumpCatalogVersion and the batch statement both advance the version', async () => {
    const v0 = await catalogVersion(env, Date.now() + 10 * VERSION_TTL_MS)
    await bumpCatalogVersion(env)
    const v1 = await catalogVersion(env)
    expect(v1).toBe(v0 + 1)
    await env.DB.batch([catalogVersionBumpStatement(env)])
    expect(await catalogVersion(env)).toBe(v0 + 2)
  })
})

describe('isolate cache (the layer ahead of the Cache API)', () => {
  it('a repeated read is answered from this isolate; the Cache API still holds the page behind it', async () => {
    const path = `/v1/products/${productId}?layer=${uniq('k')}`
    const first = await call('GET', path)
    expect(first.headers.get('x-cache')).toBe('MISS')
    expect(first.headers.get('x-cache-layer')).toBeNull()
    const second = await call('GET', path)
    expect([second.headers.get('x-cache'), second.headers.get('x-cache-layer')]).toEqual([
      'HIT',
      'isolate',
    ])
    expect(second.text).toBe(first.text)
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'))

    isolateCacheClear() // as a fresh isolate would start
    const third = await call('GET', path)
    expect([third.headers.get('x-cache'), third.headers.get('x-cache-layer')]).toEqual([
      'HIT',
      'edge',
    ])
    expect(third.text).toBe(first.text)
    const fourth = await call('GET', path)
    expect(fourth.headers.get('x-cache-layer')).toBe('isolate')
  })

  it('If-None-Match on an isolate hit is a 304', async () => {
    const path = `/v1/search/suggest?q=xiaomi&limit=3&n=${uniq('k')}`
    const etag = (await call('GET', path)).headers.get('etag')!
    const res = await call('GET', path, { headers: { 'if-none-match': etag } })
    expect(res.status).toBe(304)
    expect(res.headers.get('x-cache-layer')).toBe('isolate')
  })

  it('query order does not matter: one page, one entry', async () => {
    const n = uniq('k')
    await call('GET', `/v1/search/suggest?q=ds&limit=3&n=${n}`)
    const swapped = await call('GET', `/v1/search/suggest?n=${n}&limit=3&q=ds`)
    expect(swapped.headers.get('x-cache-layer')).toBe('isolate')
  })

  it('an admin write is seen at once, whichever layer held the page', async () => {
    const path = `/v1/products/${productId}`
    await call('GET', path)
    expect((await call('GET', path)).headers.get('x-cache-layer')).toBe('isolate')
    await adminProducts([product(sku, '小米电视 第三版', slug)])
    const fresh = await call('GET', path)
    expect(fresh.headers.get('x-cache')).toBe('MISS')
    expect(fresh.body.title).toBe('小米电视 第三版')
  })

  it('an edge copy is kept in the isolate only for what is left of its 30 s', async () => {
    const version = await catalogVersion(env)
    const page = (k: string) => `/v1/products/${productId}?edge=${k}`
    const plant = async (path: string, producedAt: number | null) => {
      const headers: Record<string, string> = {
        etag: '"planted"',
        'cache-control': 'public, max-age=30',
      }
      if (producedAt !== null) headers['x-produced-at'] = String(producedAt)
      const key = `https://public-read.cache.tvpay.internal/v${version}${path}`
      await caches.default.put(key, new Response('{"planted":true}', { headers }))
    }
    const fresh = page(uniq('k'))
    await plant(fresh, Date.now())
    expect((await call('GET', fresh)).headers.get('x-cache-layer')).toBe('edge')
    expect((await call('GET', fresh)).headers.get('x-cache-layer')).toBe('isolate')

    const nearlyGone = page(uniq('k'))
    await plant(nearlyGone, Date.now() - 29_950)
    expect((await call('GET', nearlyGone)).headers.get('x-cache-layer')).toBe('edge')
    await new Promise((r) => setTimeout(r, 100))
    const after = await call('GET', nearlyGone)
    expect([after.headers.get('x-cache'), after.body.planted]).toEqual(['MISS', undefined])

    // Unstamped (written by older code) or past its 30 s: not served; D1 answers.
    for (const producedAt of [null, Date.now() - 31_000]) {
      const path = page(uniq('k'))
      await plant(path, producedAt)
      const first = await call('GET', path)
      expect([first.headers.get('x-cache'), first.body.id], String(producedAt)).toEqual([
        'MISS',
        productId,
      ])
    }
  })

  it('a signed-in home never enters the isolate cache', async () => {
    const user = await createTestUser()
    const device = await createTestDevice(user.id)
    const before = isolateCacheStats().entries
    await call('GET', '/v1/home', { token: device.token })
    const again = await call('GET', '/v1/home', { token: device.token })
    expect(again.headers.get('x-cache')).toBe('BYPASS')
    expect(isolateCacheStats().entries).toBe(before)
  })
})

describe('isolate cache store', () => {
  const answer = (body: string) => ({ body, etag: '"e"', producedAt: Date.now(), atEdge: false })

  it('keeps an answer for its ttl and no longer', async () => {
    isolateCacheClear()
    isolateCachePut(1, '/a', answer('{"a":1}'), 0.05)
    expect(isolateCacheGet(1, '/a')?.body).toBe('{"a":1}')
    await new Promise((r) => setTimeout(r, 80))
    expect(isolateCacheGet(1, '/a')).toBeUndefined()
  })

  it('does not keep an answer with no time left (a ttl of 0 would mean forever to the LRU)', () => {
    isolateCacheClear()
    isolateCachePut(1, '/a', answer('{}'), 0)
    isolateCachePut(1, '/b', answer('{}'), -3)
    expect(isolateCacheStats().entries).toBe(0)
  })

  it('a newer version empties the store; an older one neither reads nor writes it', () => {
    isolateCacheClear()
    isolateCachePut(5, '/a', answer('{"v":5}'), 30)
    expect(isolateCacheGet(4, '/a')).toBeUndefined()
    isolateCachePut(4, '/b', answer('{"v":4}'), 30)
    expect(isolateCacheGet(5, '/b')).toBeUndefined()
    expect(isolateCacheGet(5, '/a')?.body).toBe('{"v":5}')
    expect(isolateCacheGet(6, '/a')).toBeUndefined()
    expect(isolateCacheStats()).toMatchObject({ entries: 0, version: 6 })
  })

  it('stays within its byte budget, dropping the least recently used', () => {
    isolateCacheClear()
    const big = 'x'.repeat(256 * 1024) // 512 KB in memory
    for (let i = 0; i < 40; i++) {
      isolateCachePut(1, `/p${i}`, answer(big), 30)
      if (i === 0 || i % 5 === 0) isolateCacheGet(1, '/p0') // kept warm
    }
    const stats = isolateCacheStats()
    expect(stats.bytes).toBeLessThanOrEqual(ISOLATE_CACHE_MAX_BYTES)
    expect(stats.entries).toBeLessThan(40)
    expect(isolateCacheGet(1, '/p39')).toBeDefined()
    expect(isolateCacheGet(1, '/p1')).toBeUndefined()
    isolateCacheClear()
  })
})
