import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { CACHES_OFF_HEADER, envForBenchRequest } from '../../bench/caches-off'
import worker from '../../src/index'
import { adminCategories, adminProducts, product, uniq } from '../catalog/fixtures'

// The bench bundle's per-request switch (bench/worker.js runs the Worker with this env): the D1
// path, timed in the same isolate as the cache misses it is compared with.

let productId = ''

beforeAll(async () => {
  const slug = uniq('tv')
  await adminCategories([{ slug, name: '电视' }])
  productId = (await adminProducts([product(uniq('sku'), '海信电视 开关', slug)]))[0]!.id
})

function request(path: string, cachesOff: boolean) {
  const headers = cachesOff ? { [CACHES_OFF_HEADER]: 'off' } : undefined
  return new Request(`https://tvpay.test${path}`, { headers })
}

/** What bench/worker.js does: the env the request asks for, then the Worker. */
async function fetchBench(path: string, vars: Record<string, string>, cachesOff: boolean) {
  const req = request(path, cachesOff)
  const ctx = createExecutionContext()
  const res = await worker.fetch(
    req as never,
    envForBenchRequest(req as never, { ...env, ...vars } as Env),
    ctx,
  )
  await waitOnExecutionContext(ctx)
  return `${res.status} ${res.headers.get('x-cache')} ${res.headers.get('x-cache-layer')}`
}

describe('x-bench-caches: off', () => {
  it('with BENCH=1, runs the request as the D1 path and leaves the caches as they were', async () => {
    const path = `/v1/products/${productId}?switch=${uniq('k')}`
    const bench = { BENCH: '1' }
    expect(await fetchBench(path, bench, true)).toBe('200 BYPASS null')
    expect(await fetchBench(path, bench, true)).toBe('200 BYPASS null')
    // Nothing was cached by the D1-path reads: the first cached read misses, the next hits.
    expect(await fetchBench(path, bench, false)).toBe('200 MISS null')
    expect(await fetchBench(path, bench, false)).toBe('200 HIT isolate')
    // A page in the isolate cache is not served to the D1 path either.
    expect(await fetchBench(path, bench, true)).toBe('200 BYPASS null')
  })

  it('means nothing without BENCH=1', async () => {
    const path = `/v1/products/${productId}?prod=${uniq('k')}`
    expect(await fetchBench(path, {}, true)).toBe('200 MISS null')
    expect(await fetchBench(path, {}, true)).toBe('200 HIT isolate')
  })

  it('copies the env once, whatever the number of requests', () => {
    const benchEnv = { ...env, BENCH: '1' } as Env
    const first = envForBenchRequest(request('/', true) as never, benchEnv)
    expect(first).not.toBe(benchEnv)
    expect(envForBenchRequest(request('/', true) as never, benchEnv)).toBe(first)
    expect(envForBenchRequest(request('/', false) as never, benchEnv)).toBe(benchEnv)
  })
})
