import { expect } from 'vitest'
import { call, type JsonResponse } from '../helpers/http'

let seq = 0

/** A fresh mainland mobile number per call (tests in a file share rows). */
export function uniquePhone(): string {
  seq += 1
  return `139${String(Date.now() % 1e5).padStart(5, '0')}${String(seq).padStart(3, '0')}`
}

/** A fresh client address per call, so per-IP limits only bite where a test means them to. */
export function uniqueIp(): string {
  seq += 1
  return `198.51.${Math.floor(seq / 250) % 250}.${(seq % 250) + 1}`
}

export function from(ip: string, headers: Record<string, string> = {}) {
  return { ...headers, 'cf-connecting-ip': ip }
}

export async function register(phone = uniquePhone(), password = 'correct horse battery') {
  const res = await call('POST', '/v1/auth/register', {
    body: { phone, password },
    headers: from(uniqueIp()),
  })
  expect(res.status, res.text).toBe(201)
  return { ...res.body, password } as {
    user: { id: string; phone: string }
    access_token: string
    refresh_token: string
    expires_in: number
    password: string
  }
}

/** application/x-www-form-urlencoded POST, as most OAuth device libraries send it. */
export function postForm(
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return call('POST', path, {
    rawBody: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  })
}

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

export async function startPairing(clientId = 'skyworth-tv', deviceName?: string) {
  const res = await postForm(
    '/v1/oauth/device_authorization',
    {
      client_id: clientId,
      ...(deviceName ? { device_name: deviceName } : {}),
    },
    from(uniqueIp()),
  )
  expect(res.status, res.text).toBe(200)
  return res.body as {
    device_code: string
    user_code: string
    verification_uri: string
    verification_uri_complete: string
    expires_in: number
    interval: number
  }
}

export function activate(userToken: string, userCode: string, approve = true, ip = uniqueIp()) {
  return call('POST', '/v1/devices/activate', {
    token: userToken,
    body: { user_code: userCode, approve },
    headers: from(ip),
  })
}

export function poll(deviceCode: string, clientId = 'skyworth-tv') {
  return postForm('/v1/oauth/token', {
    grant_type: DEVICE_GRANT,
    device_code: deviceCode,
    client_id: clientId,
  })
}

/** The whole RFC 8628 dance: start, approve from the phone, collect tokens. */
export async function pairDevice(userToken: string, clientId = 'skyworth-tv', deviceName?: string) {
  const started = await startPairing(clientId, deviceName)
  const approved = await activate(userToken, started.user_code)
  expect(approved.status, approved.text).toBe(200)
  const tokens = await poll(started.device_code, clientId)
  expect(tokens.status, tokens.text).toBe(200)
  return {
    deviceId: approved.body.device.id as string,
    access_token: tokens.body.access_token as string,
    refresh_token: tokens.body.refresh_token as string,
  }
}

export function expectOAuthError(res: JsonResponse, status: number, error: string) {
  if (res.status !== status || res.body?.error !== error) {
    throw new Error(`expected ${status} ${error}, got ${res.status} ${res.text.slice(0, 300)}`)
  }
  expect(typeof res.body.error_description).toBe('string')
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.headers.get('cache-control')).toBe('no-store')
  return res.body
}
