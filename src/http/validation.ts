import type { Hook } from '@hono/zod-openapi'
import type { ZodError } from 'zod'
import type { $ZodRawIssue } from 'zod/v4/core'
import en from 'zod/v4/locales/en.js'
import zhCN from 'zod/v4/locales/zh-CN.js'
import { FIELD_MESSAGES_ZH } from './error-text'
import { ApiError, type FieldError } from './errors'

type Issue = ZodError['issues'][number]

// Each locale imported on its own: `z.locales` would bring every language zod ships.
const english = en().localeError
const chinese = zhCN().localeError

function pathOf(issue: Issue, target?: string): string {
  return [target, ...issue.path].filter((p) => p !== undefined && p !== '').join('.') || '(root)'
}

export function fieldErrors(error: ZodError, target?: string): FieldError[] {
  return error.issues.map((issue) => ({ path: pathOf(issue, target), message: issue.message }))
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

function messageOf(map: typeof english, issue: $ZodRawIssue): string | undefined {
  const m = map(issue)
  return typeof m === 'string' ? m : m?.message
}

/**
 * The issue's message in zh-CN. zod drops an issue's input once it is final, so it is read back
 * from the request at the issue's path. A message zod wrote itself (equal to its English locale's)
 * gets the zh-CN locale's; a schema's own message is looked up in FIELD_MESSAGES_ZH.
 */
export function chineseMessage(issue: Issue, input: unknown): string {
  const raw = { ...issue, input: valueAt(input, issue.path) } as unknown as $ZodRawIssue
  if (issue.message === messageOf(english, raw)) return messageOf(chinese, raw) ?? issue.message
  return FIELD_MESSAGES_ZH[issue.message] ?? issue.message
}

/** Every failed zod validation becomes 400 validation_failed listing the failing paths. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const validationHook: Hook<any, any, any, any> = (result, _c) => {
  if (!result.success) {
    const error = result.error as ZodError
    const target = result.target === 'json' ? undefined : result.target
    const errors = fieldErrors(error, target)
    const zh = error.issues.map((issue) => ({
      path: pathOf(issue, target),
      // @hono/zod-validator hands the hook the input as `data` on failure too.
      message: chineseMessage(issue, (result as { data?: unknown }).data),
    }))
    throw new ApiError(
      'validation_failed',
      `Invalid request: ${errors[0]?.path} ${errors[0]?.message}`,
      { errors },
    ).in('zh-CN', { detail: `请求无效：${zh[0]?.path} ${zh[0]?.message}`, errors: zh })
  }
}
