import { createMiddleware } from 'hono/factory'
import type { AppEnv, Principal } from '../env'
import { authenticate } from '../auth/principal'
import { ApiError } from './errors'

/*
 * The HTTP side of authentication: middleware that asks src/auth/principal.ts who the bearer is
 * and puts the answer on the context. Nothing here reads tokens or the database itself.
 */

/** Public routes where a token is optional (catalog): sets principal or null. */
export const optionalAuth = createMiddleware<AppEnv>(async function optionalAuth(c, next) {
  c.set('principal', await authenticate(c.env, c.req.header('authorization')))
  await next()
})

/** A user (phone) or one of their devices (TV). */
export const requireDeviceOrUser = createMiddleware<AppEnv>(
  async function requireDeviceOrUser(c, next) {
    const principal = await authenticate(c.env, c.req.header('authorization'))
    if (!principal)
      throw new ApiError(
        'unauthorized',
        'Sign in or pair this device first',
        {},
        { 'www-authenticate': 'Bearer' },
      )
    c.set('principal', principal)
    await next()
  },
)

/** The person themself, on their phone. A TV token is refused with 403 user_token_required. */
export const requireUser = createMiddleware<AppEnv>(async function requireUser(c, next) {
  const principal = await authenticate(c.env, c.req.header('authorization'))
  if (!principal)
    throw new ApiError('unauthorized', 'Sign in first', {}, { 'www-authenticate': 'Bearer' })
  if (principal.kind !== 'user') {
    throw new ApiError(
      'user_token_required',
      'This action needs the account owner on their phone, not a TV',
    )
  }
  c.set('principal', principal)
  await next()
})

/** For handlers behind requireUser / requireDeviceOrUser. */
export function principalOf(c: { get(key: 'principal'): Principal | null }): Principal {
  const p = c.get('principal')
  if (!p) throw new ApiError('unauthorized', 'Sign in first')
  return p
}
