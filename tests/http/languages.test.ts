import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ERROR_TEXT, LANGUAGES } from '../../src/http/error-text'
import { ApiError, ERROR_STATUS, type ErrorCode, problemBody } from '../../src/http/errors'
import { from, uniqueIp } from '../auth/helpers'
import { call, expectProblem } from '../helpers/http'
import { createTestUser } from '../helpers/principals'

const HAN = /\p{Script=Han}/u

/** A wrong password, asked in the given language (no header: none sent). */
function badLogin(headers: Record<string, string>, query = '') {
  return call('POST', `/v1/auth/login${query}`, {
    body: { phone: '+8613900000000', password: 'not the password' },
    headers: { ...from(uniqueIp()), ...headers },
  })
}

describe('error answers follow Accept-Language, zh-CN first', () => {
  it('answers zh-CN when the request names no language, with the code unchanged', async () => {
    const res = await badLogin({ 'accept-language': '' })
    const body = expectProblem(res, 401, 'invalid_credentials')
    expect(body.title).toBe('手机号或密码错误')
    expect(body.detail).toMatch(HAN)
    expect(res.headers.get('content-language')).toBe('zh-CN')
    expect(res.headers.get('vary')).toContain('Accept-Language')
    expect(body.type).toBe(`${env.PUBLIC_BASE_URL}/docs/problems#invalid_credentials`)
  })

  it('answers English to en-US, with the detail written where the error was thrown', async () => {
    const res = await badLogin({ 'accept-language': 'en-US,en;q=0.9' })
    const body = expectProblem(res, 401, 'invalid_credentials')
    expect(body.title).toBe('Invalid credentials')
    expect(body.detail).toBe('Phone number or password is incorrect')
    expect(res.headers.get('content-language')).toBe('en')
  })

  it.each([
    ['zh', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['fr-FR, en;q=0.5', 'en'],
    ['en;q=0.2, zh-CN;q=0.8', 'zh-CN'],
    ['de, fr', 'zh-CN'],
  ])('Accept-Language %j answers %s', async (header, language) => {
    const res = await badLogin({ 'accept-language': header })
    expectProblem(res, 401, 'invalid_credentials')
    expect(res.headers.get('content-language')).toBe(language)
    expect(res.body.title).toBe(ERROR_TEXT.invalid_credentials[language as 'en'].title)
  })

  it('lets ?lang= override the header', async () => {
    const res = await badLogin({ 'accept-language': 'zh-CN' }, '?lang=en')
    expect(res.headers.get('content-language')).toBe('en')
    expect(res.body.title).toBe('Invalid credentials')
  })

  it('writes unknown routes and wrong methods in the asked language too', async () => {
    const missing = await call('GET', '/v1/nothing-here', { headers: { 'accept-language': '' } })
    expect(expectProblem(missing, 404, 'not_found').title).toBe('找不到')
    const wrong = await call('DELETE', '/healthz', { headers: { 'accept-language': 'zh-CN' } })
    expect(expectProblem(wrong, 405, 'method_not_allowed').title).toBe('不支持该请求方法')
  })
})

describe('validation messages in zh-CN', () => {
  it("translates zod's own messages with its zh-CN locale and our schemas' own messages", async () => {
    const user = await createTestUser()
    const body = { pin: '12', password: 5 }
    const zh = await call('PUT', '/v1/me/payment-pin', {
      token: user.token,
      body,
      headers: { 'accept-language': 'zh-CN' },
    })
    const problem = expectProblem(zh, 400, 'validation_failed')
    expect(problem.title).toBe('请求内容无效')
    expect(problem.errors).toEqual([
      { path: 'pin', message: '支付密码必须是 6 位数字' },
      { path: 'password', message: '无效输入：期望 string，实际接收 数字' },
    ])
    expect(problem.detail).toBe('请求无效：pin 支付密码必须是 6 位数字')

    const en = await call('PUT', '/v1/me/payment-pin', { token: user.token, body })
    expect(expectProblem(en, 400, 'validation_failed').errors).toEqual([
      { path: 'pin', message: 'PIN must be exactly 6 digits' },
      { path: 'password', message: 'Invalid input: expected string, received number' },
    ])
  })

  it('reads a missing field as missing (zod drops the input; it is read back from the body)', async () => {
    const user = await createTestUser()
    const zh = await call('PUT', '/v1/me/payment-pin', {
      token: user.token,
      body: { pin: '123456' },
      headers: { 'accept-language': 'zh-CN' },
    })
    expect(expectProblem(zh, 400, 'validation_failed').errors).toEqual([
      { path: 'password', message: '无效输入：期望 string，实际接收 undefined' },
    ])
  })
})

describe('the message table', () => {
  const codes = Object.keys(ERROR_STATUS) as ErrorCode[]

  it('has a title and a detail for every code in every language, Chinese in zh-CN', () => {
    for (const code of codes) {
      for (const language of LANGUAGES) {
        const text = ERROR_TEXT[code][language]
        expect(text.title.length, `${code} ${language}`).toBeGreaterThan(0)
        expect(text.detail.length, `${code} ${language}`).toBeGreaterThan(0)
      }
      expect(ERROR_TEXT[code]['zh-CN'].title, code).toMatch(HAN)
      expect(ERROR_TEXT[code].en.title, code).not.toMatch(HAN)
    }
  })

  it('makes a zh-CN detail specific from the members a problem carries', () => {
    const err = new ApiError('out_of_stock', 'Only 2 of prd_1 left', { available: 2, requested: 5 })
    expect(problemBody(err, { language: 'zh-CN' }).detail).toBe('库存不足：仅剩 2 件。')
    expect(problemBody(err, { language: 'en' }).detail).toBe('Only 2 of prd_1 left')
    const pin = new ApiError('invalid_pin', 'Wrong payment PIN', { attempts_remaining: 3 })
    expect(problemBody(pin, { language: 'zh-CN' }).detail).toBe('支付密码不正确，还可以再试 3 次。')
  })

  it('is the page every problem type points at: /docs/problems lists each code in both languages', async () => {
    const res = await env.ASSETS.fetch('https://tvpay.test/docs/problems')
    expect(res.status).toBe(200)
    const html = await res.text()
    for (const code of codes) {
      const section = html.split(`<section id="${code}">`)[1]?.split('</section>')[0]
      expect(section, code).toBeDefined()
      expect(section).toContain(ERROR_TEXT[code]['zh-CN'].title)
      expect(section).toContain(ERROR_TEXT[code].en.title)
    }
  })
})
