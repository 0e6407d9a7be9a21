import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { bearerCredential } from '../auth/principal'
import { ApiError } from './errors'

/** Admin routes need `Authorization: Bearer <ADMIN_TOKEN>`; with no token configured they are closed (503). */
export const requireAdmin = createMiddleware<AppEnv>(async function requireAdmin(c, next) {
  const expected = c.env.ADMIN_TOKEN
  if (!expected || expected.length < 16) {
    throw new ApiError('admin_disabled', 'Admin access is not configured on this deployment')
  }
  const presented = bearerCredential(c.req.header('authorization')) ?? ''
  if (!(await constantTimeEqual(presented, expected))) {
    throw new ApiError(
      'unauthorized',
      'A valid admin token is required',
      {},
      { 'www-authenticate': 'Bearer' },
    )
  }
  await next()
})

/** Compares digests, so neither the content nor the length of the secret leaks through timing. */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder()
  const [da, db] = await Promise.all([
    crypto.subtle.digest('SHA-256', enc.encode(a)),
    crypto.subtle.digest('SHA-256', enc.encode(b)),
  ])
  return crypto.subtle.timingSafeEqual(da, db) && a.length === b.length
}
