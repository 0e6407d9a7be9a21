import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { startPairing } from '../auth/helpers'
import { call } from '../helpers/http'
import { household, orderFromTv } from '../payments/helpers'

// The pages are static assets built from web/ (npm test builds them first). The Workers vitest
// pool does not put the assets router in front of SELF, so pages are read here through the ASSETS
// binding (the same files, html_handling and _headers); that the router serves them before the
// Worker is proven end to end against `wrangler dev` (npm run test:e2e).

async function asset(path: string) {
  const res = await env.ASSETS.fetch(`https://tvpay.test${path}`)
  return { status: res.status, headers: res.headers, text: await res.text() }
}

describe('PUBLIC_BASE_URL decides every URL handed to a person', () => {
  it('is set apart from JWT_ISSUER in tests, so a test can tell which one a URL came from', () => {
    expect(env.PUBLIC_BASE_URL).toBe('https://tv.tvpay.test')
    expect(env.PUBLIC_BASE_URL).not.toBe(env.JWT_ISSUER)
  })

  it('starts verification_uri and verification_uri_complete', async () => {
    const started = await startPairing('haier-tv', 'Bedroom')
    expect(started.verification_uri).toBe('https://tv.tvpay.test/activate')
    expect(started.verification_uri_complete).toBe(
      `https://tv.tvpay.test/activate?user_code=${started.user_code}`,
    )
  })

  it('starts confirmation.url, and the payment names the TV that started it', async () => {
    const { tv } = await household({ balance: 10_000 })
    const { payment } = await orderFromTv(tv.token)
    expect(payment.confirmation.url).toBe(
      `https://tv.tvpay.test/pay/${payment.id}?code=${payment.confirmation.code}`,
    )
    expect(payment.device_id).toBe(tv.id)
    const read = await call('GET', `/v1/payments/${payment.id}`, { token: tv.token })
    expect(read.body.confirmation.url.startsWith(`${env.PUBLIC_BASE_URL}/pay/`)).toBe(true)
  })
})

describe('pages for people', () => {
  it.each([
    ['/tv/', '/tv/app.js'],
    ['/activate?user_code=BCDF-GHJK', '/assets/activate.js'],
    ['/devices', '/assets/devices.js'],
  ])('GET %s is the page that loads %s', async (path, script) => {
    const res = await asset(path)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.text).toContain(`src="${script}"`)
    const js = await asset(script)
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/javascript/)
  })

  it('GET /pay/{id}?code= is the pay page for any payment id; the code never leaks as a referrer', async () => {
    const res = await call('GET', '/pay/pay_01jz3k4m5n6p7q8r9s0t1v2w3x?code=K7QF3M')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.text).toContain('src="/assets/pay.js"')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
  })

  it('the API keeps answering problem+json beside the pages', async () => {
    const res = await call('GET', '/v1/nothing-here')
    expect(res.status).toBe(404)
    expect(res.body.code).toBe('not_found')
    const pay = await call('POST', '/pay/pay_x')
    expect(pay.status).toBe(405)
  })
})

describe('/docs renders with no network beyond the Worker', () => {
  it('serves Swagger UI from this origin and points it at /openapi.json', async () => {
    const res = await asset('/docs')
    expect(res.status).toBe(200)
    expect(res.text).toContain('/openapi.json')
    const urls = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])
    expect(urls.length).toBeGreaterThan(2)
    for (const url of urls) expect(url).toMatch(/^\/(assets\/swagger-ui\/|openapi\.json)/)
    for (const url of urls.filter((u) => u.startsWith('/assets/'))) {
      expect((await asset(url)).status, url).toBe(200)
    }
    const init = await asset('/assets/swagger-ui/init.js')
    expect(init.text).toContain("url: '/openapi.json'")
    expect(init.text).toContain('validatorUrl: null')
  })
})
