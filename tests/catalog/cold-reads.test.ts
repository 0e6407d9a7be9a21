import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { catalogVersion } from '../../src/catalog/cache'
import { edgeHits, edgeWrites, publicReadFlights } from '../../src/http/cache'
import { isolateCacheClear } from '../../src/http/isolate-cache'
import { singleFlight } from '../../src/http/single-flight'
import { countingD1 } from '../../src/lib/d1-stats'
import { call } from '../helpers/http'
import { adminCategories, adminProducts, product, uniq } from './fixtures'

let productId = ''

beforeAll(async () => {
  const slug = uniq('tv')
  await adminCategories([{ slug, name: '电视' }])
  productId = (await adminProducts([product(uniq('sku'), '海信电视 冷读', slug)]))[0]!.id
})

afterEach(() => {
  edgeHits.reset()
  edgeWrites.reset()
})

/** The Worker over a D1 that counts round trips; every request gets its own context. */
async function fetchCounted(paths: string[]) {
  const { db, stats } = countingD1(env.DB)
  const countedEnv = { ...env, DB: db }
  // The catalog version is remembered for a second: read it first so only page reads count.
  await catalogVersion(countedEnv)
  stats.queries = 0
  const contexts = paths.map(() => createExecutionContext())
  const responses = await Promise.all(
    paths.map((path, i) =>
      worker.fetch(new Request(`https://tvpay.test${path}`) as never, countedEnv, contexts[i]!),
    ),
  )
  await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)))
  const bodies = await Promise.all(responses.map((r) => r.text()))
  return { responses, bodies, stats }
}

const layerOf = (res: { headers: Headers }) =>
  `${res.headers.get('x-cache')} ${res.headers.get('x-cache-layer')}`

async function edgeHas(path: string) {
  const version = await catalogVersion(env)
  const key = `https://public-read.cache.tvpay.internal/v${version}${path}`
  return (await caches.default.match(key)) !== undefined
}

describe('a cache miss costs one D1 read, shared by concurrent requests', () => {
  it('eight concurrent misses of one page make one D1 read; seven share it', async () => {
    const path = `/v1/products/${productId}?burst=${uniq('k')}`
    const { responses, bodies, stats } = await fetchCounted(Array(8).fill(path))
    expect(stats.queries).toBe(1)
    expect(responses.map(layerOf).sort()).toEqual([...Array(7).fill('HIT flight'), 'MISS null'])
    expect(new Set(bodies).size).toBe(1)
    expect(new Set(responses.map((r) => r.headers.get('etag'))).size).toBe(1)
    expect(JSON.parse(bodies[0]!).title).toBe('海信电视 冷读')
    expect(publicReadFlights()).toBe(0)
  })

  it('different pages do not wait for each other', async () => {
    const paths = [1, 2, 3].map((n) => `/v1/products/${productId}?page=${uniq('k')}-${n}`)
    const { responses, stats } = await fetchCounted(paths)
    expect(stats.queries).toBe(3)
    expect(responses.map(layerOf)).toEqual(Array(3).fill('MISS null'))
  })

  it('a miss that fails (unknown product) is not shared as a page and not cached', async () => {
    const path = `/v1/products/prod_nope_${uniq('k')}`
    const { responses } = await fetchCounted(Array(3).fill(path))
    expect(responses.map((r) => r.status)).toEqual([404, 404, 404])
    expect(publicReadFlights()).toBe(0)
  })
})

describe('a miss keeps the page; an admin edit is never served stale', () => {
  it('a burst of concurrent misses is one D1 read, and the page is kept: the next read hits', async () => {
    const path = `/v1/products/${productId}?kept=${uniq('k')}`
    const burst = await fetchCounted(Array(8).fill(path))
    expect(burst.stats.queries).toBe(1)
    const next = await fetchCounted([path])
    expect([layerOf(next.responses[0]!), next.stats.queries]).toEqual(['HIT isolate', 0])
    expect(next.bodies[0]).toBe(burst.bodies[0])
  })

  it('an admin price edit is seen by the next read, in memory and at the edge', async () => {
    const sku = uniq('sku')
    const slug = uniq('tv')
    await adminCategories([{ slug, name: '电视' }])
    const priced = (amount: number) =>
      product(sku, '海信电视 改价', slug, { price: { amount, currency: 'CNY' } })
    const id = (await adminProducts([priced(99900)]))[0]!.id
    const path = `/v1/products/${id}`
    const read = async () => {
      const { responses, bodies } = await fetchCounted([path])
      return [layerOf(responses[0]!), JSON.parse(bodies[0]!).price.amount]
    }

    expect(await read()).toEqual(['MISS null', 99900])
    expect(await read()).toEqual(['HIT isolate', 99900]) // and copied to the edge after it
    await adminProducts([priced(88800)])
    expect(await read()).toEqual(['MISS null', 88800])
    expect(await read()).toEqual(['HIT isolate', 88800])
    isolateCacheClear() // a fresh isolate: the edge holds the new page, the old one unreachable
    expect(await read()).toEqual(['HIT edge', 88800])
    await adminProducts([priced(77700)])
    isolateCacheClear()
    expect(await read()).toEqual(['MISS null', 77700])
  })
})

describe('nothing is written to the edge on the way to a miss', () => {
  it('a page read once stays out of the edge; served a second time, it is copied there', async () => {
    const path = `/v1/products/${productId}?once=${uniq('k')}`
    expect((await call('GET', path)).headers.get('x-cache')).toBe('MISS')
    expect(await edgeHas(path)).toBe(false)

    // The second read is an isolate hit, which copies the page to the edge after the response.
    const { db } = countingD1(env.DB)
    const ctx = createExecutionContext()
    const second = await worker.fetch(
      new Request(`https://tvpay.test${path}`) as never,
      { ...env, DB: db },
      ctx,
    )
    expect(layerOf(second)).toBe('HIT isolate')
    await waitOnExecutionContext(ctx)
    expect(await edgeHas(path)).toBe(true)

    isolateCacheClear() // a fresh isolate finds it at the edge
    const third = await call('GET', path)
    expect(layerOf(third)).toBe('HIT edge')
  })
})

describe('while the edge keeps missing here, misses skip it (but for probes)', () => {
  const missRun = () => {
    for (let i = 0; i < 16; i++) edgeHits.record(false)
    expect(edgeHits.rate).toBeLessThan(0.5)
  }

  it('a miss then costs the D1 read alone; at most one a second also asks the edge', async () => {
    missRun()
    // 16 misses over 1.6 s: probes at 0 and 1,000 ms, however many misses come between.
    const t = Date.now()
    const policies = Array.from({ length: 16 }, (_, i) => edgeHits.policy(t + i * 100))
    expect(policies.filter((p) => p === 'probe')).toHaveLength(2)
    expect(policies.filter((p) => p === 'skip')).toHaveLength(14)
    expect([policies[0], policies[10]]).toEqual(['probe', 'probe'])
    edgeHits.probedAt = Date.now()
    const path = `/v1/products/${productId}?skip=${uniq('k')}`
    const { responses, stats } = await fetchCounted([path])
    expect(layerOf(responses[0]!)).toBe('MISS null')
    expect(stats.queries).toBe(1)
  })

  it('a skipped edge copy is not found; a probe answers from D1 and asks the edge after the response, which lifts the rate', async () => {
    const path = `/v1/products/${productId}?probe=${uniq('k')}`
    await call('GET', path)
    await call('GET', path) // served again: copied to the edge
    await new Promise((r) => setTimeout(r, 50))
    expect(await edgeHas(path)).toBe(true)
    missRun()
    edgeHits.probedAt = Date.now() // probed just now: the next misses skip the edge
    const answers: string[] = []
    const rates: number[] = []
    let reads = 0
    for (let i = 0; i < 8; i++) {
      isolateCacheClear()
      if (i === 7) edgeHits.probedAt = 0 // a second later: this miss probes
      const { responses, stats } = await fetchCounted([path])
      answers.push(layerOf(responses[0]!))
      rates.push(edgeHits.rate)
      reads += stats.queries
    }
    // Every miss waits on D1 alone; the 8th (the probe) found the edge copy once answered.
    expect(answers).toEqual(Array(8).fill('MISS null'))
    expect(reads).toBe(8)
    expect(new Set(rates.slice(0, 7)).size).toBe(1)
    expect(rates[7]).toBeGreaterThan(rates[6]!)
  })

  it('with edge hits the norm, a miss asks the edge first and D1 only when it misses', async () => {
    const path = `/v1/products/${productId}?seq=${uniq('k')}`
    await call('GET', path)
    await call('GET', path)
    await new Promise((r) => setTimeout(r, 50))
    isolateCacheClear()
    const { responses, stats } = await fetchCounted([path])
    expect(layerOf(responses[0]!)).toBe('HIT edge')
    expect(stats.queries).toBe(0)
  })
})

describe('EDGE_CACHE = "off": public reads never touch the Cache API', () => {
  /** Like fetchCounted, one request at a time, with Worker vars set. */
  async function fetchWith(vars: Record<string, string>, path: string) {
    const { db, stats } = countingD1(env.DB)
    const varsEnv = { ...env, DB: db, ...vars }
    await catalogVersion(varsEnv)
    stats.queries = 0
    const ctx = createExecutionContext()
    const res = await worker.fetch(new Request(`https://tvpay.test${path}`) as never, varsEnv, ctx)
    await waitOnExecutionContext(ctx)
    return { res, body: await res.text(), queries: stats.queries }
  }

  it('with the isolate layer on: a page served again is not copied to the edge', async () => {
    const path = `/v1/products/${productId}?edgeoff=${uniq('k')}`
    const first = await fetchWith({ EDGE_CACHE: 'off' }, path)
    const second = await fetchWith({ EDGE_CACHE: 'off' }, path)
    expect([layerOf(first.res), layerOf(second.res)]).toEqual(['MISS null', 'HIT isolate'])
    expect(first.queries + second.queries).toBe(1)
    expect(await edgeHas(path)).toBe(false)
  })

  it('with an edge copy present, a miss reads D1 instead of asking the edge', async () => {
    const path = `/v1/products/${productId}?edgeoff=${uniq('k')}`
    await call('GET', path)
    await call('GET', path) // served again: copied to the edge
    await new Promise((r) => setTimeout(r, 50))
    expect(await edgeHas(path)).toBe(true)
    isolateCacheClear()
    const { res, queries } = await fetchWith({ EDGE_CACHE: 'off' }, path)
    expect(layerOf(res)).toBe('MISS null')
    expect(queries).toBe(1)
  })

  it('with both layers off, every read is a D1 read and nothing is cached anywhere', async () => {
    const path = `/v1/products/${productId}?bothoff=${uniq('k')}`
    const off = { EDGE_CACHE: 'off', ISOLATE_CACHE: 'off' }
    const reads = [await fetchWith(off, path), await fetchWith(off, path)]
    expect(reads.map((r) => layerOf(r.res))).toEqual(['BYPASS null', 'BYPASS null'])
    expect(reads.map((r) => r.queries)).toEqual([1, 1])
    expect(reads[0]!.res.headers.get('cache-control')).toBe('public, no-cache')
    expect(reads[0]!.res.headers.get('etag')).toBe(reads[1]!.res.headers.get('etag'))
    expect(JSON.parse(reads[0]!.body).title).toBe('海信电视 冷读')
    expect(await edgeHas(path)).toBe(false)
    // The isolate layer was not filled either: with it back on, the page is a miss.
    const on = await fetchWith({}, path)
    expect(layerOf(on.res)).toBe('MISS null')
  })
})

describe('edge writes have a budget per isolate', () => {
  it('with no token left, a page served again stays out of the edge until one frees up', async () => {
    const path = `/v1/products/${productId}?budget=${uniq('k')}`
    await call('GET', path)
    const now = Date.now()
    while (edgeWrites.take(now)) {
      // spend the bucket
    }
    await call('GET', path)
    await new Promise((r) => setTimeout(r, 20))
    expect(await edgeHas(path)).toBe(false)
    edgeWrites.reset()
    await call('GET', path)
    await new Promise((r) => setTimeout(r, 50))
    expect(await edgeHas(path)).toBe(true)
  })

  it('refills at 20 a second', () => {
    edgeWrites.reset()
    let taken = 0
    while (edgeWrites.take(1000)) taken++
    expect(taken).toBe(20)
    expect(edgeWrites.take(1010)).toBe(false)
    expect(edgeWrites.take(1050)).toBe(true)
  })
})

describe('single flight', () => {
  const ctx = () => {
    const pending: Promise<unknown>[] = []
    return { waitUntil: (p: Promise<unknown>) => pending.push(p), pending }
  }
  const later = <T>(ms: number, value: T) =>
    new Promise<T>((resolve) => setTimeout(() => resolve(value), ms))

  it('followers get the leader value; the leader keeps its context alive until it lands', async () => {
    const flight = singleFlight<string>({ followForMs: 1000 })
    const leaderCtx = ctx()
    let runs = 0
    const work = () => {
      runs++
      return later(20, 'page')
    }
    const results = await Promise.all([
      flight.run('k', leaderCtx, work),
      flight.run('k', ctx(), work),
      flight.run('k', ctx(), work),
    ])
    expect(runs).toBe(1)
    expect(results).toEqual([
      { value: 'page', shared: false },
      { value: 'page', shared: true },
      { value: 'page', shared: true },
    ])
    expect(leaderCtx.pending).toHaveLength(1)
    expect(flight.size()).toBe(0)
  })

  it('a follower whose leader fails does the work itself', async () => {
    const flight = singleFlight<string>({ followForMs: 1000 })
    const leader = flight.run('k', ctx(), () =>
      later(10, null).then(() => Promise.reject(new Error('d1 down'))),
    )
    const follower = flight.run('k', ctx(), () => later(5, 'own read'))
    await expect(leader).rejects.toThrow('d1 down')
    expect(await follower).toEqual({ value: 'own read', shared: false })
  })

  it('a follower never waits past followForMs for a leader that hangs', async () => {
    const flight = singleFlight<string>({ followForMs: 50 })
    flight.run('k', ctx(), () => new Promise<string>(() => undefined))
    const started = Date.now()
    const follower = await flight.run('k', ctx(), () => Promise.resolve('own read'))
    expect(follower).toEqual({ value: 'own read', shared: false })
    expect(Date.now() - started).toBeLessThan(1000)
    // A flight older than followForMs is not joined: the next request leads its own.
    let ran = false
    await flight.run('k', ctx(), async () => {
      ran = true
      return 'x'
    })
    expect(ran).toBe(true)
  })
})
