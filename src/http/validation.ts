import type { Hook } from '@hono/zod-openapi'
import type { ZodError } from 'zod'
import { ApiError, type FieldError } from './errors'

export function fieldErrors(error: ZodError, target?: string): FieldError[] {
  return error.issues.map((issue) => ({
    path: [target, ...issue.path].filter((p) => p !== undefined && p !== '').join('.') || '(root)',
    message: issue.message,
  }))
}

/** Every failed zod validation becomes 400 validation_failed listing the failing paths. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const validationHook: Hook<any, any, any, any> = (result, _c) => {
  if (!result.success) {
    const errors = fieldErrors(
      result.error as ZodError,
      result.target === 'json' ? undefined : result.target,
    )
    throw new ApiError(
      'validation_failed',
      `Invalid request: ${errors[0]?.path} ${errors[0]?.message}`,
      { errors },
    )
  }
}
