import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { call, type JsonResponse } from '../helpers/http'
import {
  activate,
  DEVICE_GRANT,
  from,
  poll,
  postForm,
  register,
  startPairing,
  uniqueIp,
  uniquePhone,
} from './helpers'

const methods = ['log', 'info', 'warn', 'error', 'debug'] as const
let logged: string[] = []

beforeEach(() => {
  logged = []
  for (const m of methods) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '))
    })
  }
})

afterEach(() => {
  vi.restoreAllMocks()
})

describe('no password, PIN or token in a log line or an error body', () => {
  it('across sign-up, failed logins, PIN setup, reuse, pairing, unpairing and logout', async () => {
    const secrets: string[] = []
    const errorBodies: string[] = []
    const keep = (res: JsonResponse) => {
      if (res.status >= 400) errorBodies.push(res.text)
      return res
    }

    const password = 'Sup3r-Secret-Passw0rd'
    const phone = uniquePhone()
    const reg = keep(
      await call('POST', '/v1/auth/register', {
        body: { phone, password },
        headers: from(uniqueIp()),
      }),
    )
    secrets.push(password, reg.body.access_token, reg.body.refresh_token)

    keep(
      await call('POST', '/v1/auth/register', {
        body: { phone, password },
        headers: from(uniqueIp()),
      }),
    )
    const wrongPassword = 'Wr0ng-Guess-Passw0rd'
    secrets.push(wrongPassword)
    keep(
      await call('POST', '/v1/auth/login', {
        body: { phone, password: wrongPassword },
        headers: from(uniqueIp()),
      }),
    )
    keep(
      await call('POST', '/v1/auth/login', {
        body: { phone: uniquePhone(), password: wrongPassword },
        headers: from(uniqueIp()),
      }),
    )
    keep(await call('POST', '/v1/auth/register', { body: { phone, password: 'short' } }))

    const pin = '582047'
    secrets.push(pin)
    keep(
      await call('PUT', '/v1/me/payment-pin', {
        token: reg.body.access_token,
        body: { pin, password: wrongPassword },
      }),
    )
    keep(
      await call('PUT', '/v1/me/payment-pin', {
        token: reg.body.access_token,
        body: { pin, password },
      }),
    )
    keep(
      await call('PUT', '/v1/me/payment-pin', {
        token: reg.body.access_token,
        body: { pin: '11111a', password },
      }),
    )

    const rotated = keep(
      await call('POST', '/v1/auth/refresh', { body: { refresh_token: reg.body.refresh_token } }),
    )
    secrets.push(rotated.body.access_token, rotated.body.refresh_token)
    keep(
      await call('POST', '/v1/auth/refresh', { body: { refresh_token: reg.body.refresh_token } }),
    ) // reuse
    // The reuse ended that session: its access tokens are refused from now on.
    keep(await call('GET', '/v1/me', { token: rotated.body.access_token }))
    const login = keep(
      await call('POST', '/v1/auth/login', {
        body: { phone, password },
        headers: from(uniqueIp()),
      }),
    )
    secrets.push(login.body.access_token, login.body.refresh_token)

    const started = await startPairing()
    secrets.push(started.device_code, started.user_code, started.user_code.replace('-', ''))
    keep(await poll(started.device_code))
    keep(await activate(login.body.access_token, started.user_code.replace('-', 'X')))
    keep(await activate(login.body.access_token, started.user_code))
    const tokens = keep(await poll(started.device_code))
    secrets.push(tokens.body.access_token, tokens.body.refresh_token)
    keep(await poll(started.device_code)) // used twice
    keep(
      await postForm('/v1/oauth/token', {
        grant_type: DEVICE_GRANT,
        device_code: started.device_code,
        client_id: 'evil',
      }),
    )
    keep(
      await call('GET', '/v1/me', {
        headers: { authorization: `Bearer ${tokens.body.access_token}x` },
      }),
    )
    const { deviceId } = {
      deviceId: (await call('GET', '/v1/me', { token: tokens.body.access_token })).body.device.id,
    }
    keep(await call('DELETE', `/v1/me/devices/${deviceId}`, { token: login.body.access_token }))
    keep(await call('GET', '/v1/me', { token: tokens.body.access_token }))
    keep(
      await postForm('/v1/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.body.refresh_token,
      }),
    )
    const logout = { refresh_token: login.body.refresh_token }
    keep(await call('POST', '/v1/auth/logout', { body: logout }))
    const ended = keep(await call('GET', '/v1/me', { token: login.body.access_token }))
    expect(ended.status).toBe(401)

    // The spy really sees the Worker's access log, and errors did happen.
    expect(logged.some((l) => l.includes('/v1/auth/login'))).toBe(true)
    expect(logged.some((l) => l.includes('refresh_token_reuse'))).toBe(true)
    expect(errorBodies.length).toBeGreaterThanOrEqual(10)

    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(6)
      for (const line of logged) expect(line, 'log line leaks a secret').not.toContain(secret)
      for (const body of errorBodies)
        expect(body, 'error body leaks a secret').not.toContain(secret)
    }
  })
})
