import { ApiError } from '../http/errors'

/**
 * Account-number patterns come from billers, so they are untrusted regular expressions run on
 * every account link and feed line. JavaScript's backtracking engine takes exponential time on
 * nested quantifiers ((\d+)+), repeated alternations ((a|ab)*) and long runs of optional or
 * variable repeats (a?a?a?…aaa), so a pattern is accepted only in a shape that cannot do that:
 * - anchored: starts with ^ and ends with an unescaped $, with no top-level alternation (^a|b$
 *   anchors only one side of it);
 * - at most 100 characters; explicit bounds at most {64};
 * - a group repeated more than once contains neither a variable repeat nor an alternation:
 *   (?:\d{4}-){2} is fine, (\d+)+ and (?:SH|BJ)+ are refused; (?:-\d{4})? is fine (optional);
 * - at most 3 variable-length repeats (*, +, ?, {m,n} with m < n), which bounds the backtracking
 *   of adjacent repeats to O(n^4) on an account number of at most 64 characters;
 * - no backreferences or lookarounds.
 * Real patterns look like ^\d{10}$, ^[0-9]{8,12}$, ^(?:SH|BJ)\d{8}$, ^\d{4}-\d{4}-\d{4}$.
 */
export const MAX_PATTERN_LENGTH = 100
export const MAX_ACCOUNT_NUMBER_LENGTH = 64
const MAX_REPEAT = 64
const MAX_VARIABLE_REPEATS = 3

/** variable: holds a repeat of variable length; alternation: holds a | (both looked at when it repeats). */
type Group = { variable: boolean; alternation: boolean }

export function checkAccountPattern(pattern: string): RegExp {
  const unsafe = (why: string) =>
    new ApiError('unsafe_pattern', `account_pattern is not accepted: ${why}`)
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
    throw unsafe(`it must be 1-${MAX_PATTERN_LENGTH} characters`)
  }
  let compiled: RegExp
  try {
    compiled = new RegExp(pattern, 'u')
  } catch (err) {
    throw new ApiError('validation_failed', `account_pattern is not a valid regular expression`, {
      errors: [
        { path: 'account_pattern', message: err instanceof Error ? err.message : 'invalid' },
      ],
    })
  }
  if (!pattern.startsWith('^') || !endsWithAnchor(pattern))
    throw unsafe('it must start with ^ and end with $')

  const stack: Group[] = [{ variable: false, alternation: false }]
  let lastClosed: Group | null = null
  let variableRepeats = 0
  let i = 0
  while (i < pattern.length) {
    const ch = pattern[i]
    const top = stack[stack.length - 1]
    if (ch === '\\') {
      const next = pattern[i + 1] ?? ''
      if (/[1-9]/.test(next) || next === 'k') throw unsafe('backreferences are not allowed')
      i += 'upP'.includes(next) && pattern[i + 2] === '{' ? pattern.indexOf('}', i) + 1 - i : 2
      lastClosed = null
      continue
    }
    if (ch === '[') {
      i = skipClass(pattern, i)
      lastClosed = null
      continue
    }
    if (ch === '(') {
      if (/^\(\?(=|!|<=|<!)/.test(pattern.slice(i, i + 4)))
        throw unsafe('lookarounds are not allowed')
      stack.push({ variable: false, alternation: false })
      // Skip the group's own prefix, so the ? of (?: or (?<name> is not read as a quantifier.
      const prefix = /^\((?:\?:|\?<[A-Za-z_$][\w$]*>)?/.exec(pattern.slice(i))![0]
      i += prefix.length
      lastClosed = null
      continue
    }
    if (ch === ')') {
      lastClosed = stack.pop() ?? null
      const parent = stack[stack.length - 1]
      if (lastClosed && parent) {
        parent.variable ||= lastClosed.variable
        parent.alternation ||= lastClosed.alternation
      }
      i += 1
      continue
    }
    if (ch === '|') {
      if (stack.length === 1) throw unsafe('alternation must be inside a group, as in ^(?:a|b)$')
      top.alternation = true
      i += 1
      lastClosed = null
      continue
    }
    const quantifier = quantifierAt(pattern, i)
    if (quantifier) {
      const { min, max } = quantifier
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) {
        throw unsafe(`explicit repeat bounds are limited to {${MAX_REPEAT}}`)
      }
      if (max > 1 && lastClosed && (lastClosed.variable || lastClosed.alternation)) {
        throw unsafe(
          'a repeated group may not contain a variable repeat or an alternation (nested quantifiers)',
        )
      }
      if (min !== max && ++variableRepeats > MAX_VARIABLE_REPEATS) {
        throw unsafe(`at most ${MAX_VARIABLE_REPEATS} variable-length repeats (*, +, ?, {m,n})`)
      }
      if (min !== max) top.variable = true
      i += quantifier.length
      lastClosed = null
      continue
    }
    i += 1
    lastClosed = null
  }
  return compiled
}

/** True when the account number is the right length and the whole of it matches. */
export function matchesAccountPattern(pattern: RegExp, accountNumber: string): boolean {
  return (
    accountNumber.length > 0 &&
    accountNumber.length <= MAX_ACCOUNT_NUMBER_LENGTH &&
    pattern.test(accountNumber)
  )
}

/** Patterns were checked when they were stored; compiled once per isolate. */
const compiledCache = new Map<string, RegExp>()

export function compiledPattern(pattern: string): RegExp {
  let re = compiledCache.get(pattern)
  if (!re) {
    re = new RegExp(pattern, 'u')
    if (compiledCache.size > 500) compiledCache.clear()
    compiledCache.set(pattern, re)
  }
  return re
}

/** `****1234`: the last four characters (fewer for short numbers), never the whole number. */
export function maskAccountNumber(accountNumber: string): string {
  const shown = Math.min(4, Math.floor(accountNumber.length / 2))
  return `****${accountNumber.slice(accountNumber.length - shown)}`
}

function endsWithAnchor(pattern: string): boolean {
  if (!pattern.endsWith('$')) return false
  let backslashes = 0
  for (let j = pattern.length - 2; j >= 0 && pattern[j] === '\\'; j--) backslashes++
  return backslashes % 2 === 0
}

function skipClass(pattern: string, start: number): number {
  let i = start + 1
  if (pattern[i] === '^') i++
  if (pattern[i] === ']') i++
  while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1
  return i + 1
}

type Quantifier = { length: number; min: number; max: number }

function quantifierAt(pattern: string, i: number): Quantifier | null {
  const ch = pattern[i]
  const lazy = (len: number) => (pattern[i + len] === '?' ? len + 1 : len)
  if (ch === '*') return { length: lazy(1), min: 0, max: Infinity }
  if (ch === '+') return { length: lazy(1), min: 1, max: Infinity }
  if (ch === '?') return { length: lazy(1), min: 0, max: 1 }
  if (ch !== '{') return null
  const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i))
  if (!m) return null
  const min = Number(m[1])
  const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3])
  return { length: lazy(m[0].length), min, max }
}
