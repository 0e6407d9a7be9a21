import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/http/errors'
import {
  checkAccountPattern,
  maskAccountNumber,
  matchesAccountPattern,
  MAX_ACCOUNT_NUMBER_LENGTH,
} from '../../src/bills/pattern'

function verdict(pattern: string): string {
  try {
    checkAccountPattern(pattern)
    return 'ok'
  } catch (err) {
    return err instanceof ApiError ? err.code : 'threw'
  }
}

describe('checkAccountPattern', () => {
  it('accepts the shapes real billers use', () => {
    for (const p of [
      '^\\d{10}$',
      '^[0-9]{8,12}$',
      '^(?:SH|BJ)\\d{8}$',
      '^\\d{4}-\\d{4}-\\d{4}$',
      '^[A-Z]{2}\\d{6,10}$',
      '^(?:\\d{4}-){2}\\d{4}$',
      '^\\d{6}(?:-\\d{4})?$',
      '^(?<region>[0-9]{2})[0-9]{8}$',
      '^\\p{Nd}{10}$',
      '^[\\]$]{2}\\$$',
    ]) {
      expect(verdict(p), p).toBe('ok')
    }
  })

  it('refuses patterns that can backtrack catastrophically, or are not anchored', () => {
    const cases: Record<string, string> = {
      '^(\\d+)+$': 'nested quantifier',
      '^(?:\\d*)*$': 'nested quantifier',
      '^((\\d)+)+$': 'nested, two deep',
      '^((?:a)+b)+$': 'nested through an inner group',
      '^(a|aa)*$': 'repeated alternation',
      '^(?:SH|BJ){2,}$': 'repeated alternation',
      '^a?a?a?a?aaaa$': 'too many variable repeats',
      '^\\d*\\d*\\d*\\d*$': 'too many variable repeats',
      '^\\d{100}$': 'bound above 64',
      '^\\d{1,1000}$': 'bound above 64',
      '\\d{10}$': 'no ^',
      '^\\d{10}': 'no $',
      '^\\d{10}\\$': 'escaped $ is not an anchor',
      '^a|b$': 'top-level alternation',
      '^(a)\\1$': 'backreference',
      '^(?<x>a)\\k<x>$': 'named backreference',
      '^(?=\\d)\\d{4}$': 'lookahead',
      '^(?<!x)\\d{4}$': 'lookbehind',
    }
    for (const [p, why] of Object.entries(cases))
      expect(verdict(p), `${p}: ${why}`).toBe('unsafe_pattern')
    expect(verdict('^' + '\\d'.repeat(60) + '$')).toBe('unsafe_pattern')
  })

  it('answers a syntax error with validation_failed', () => {
    for (const p of ['^[0-9$', '^(\\d$', '^\\d{2,1}$', '^a**$'])
      expect(verdict(p), p).toBe('validation_failed')
  })

  it('every accepted pattern matches a 64-character adversarial input quickly (property)', () => {
    const atom = fc.constantFrom(
      '\\d',
      '[0-9]',
      'a',
      '[a-z]',
      '.',
      '[A-Z0-9]',
      '(?:a|ab)',
      '(?:\\d)',
      '(?:a+)',
      '(?:a|\\d)',
    )
    const quant = fc.constantFrom('', '', '*', '+', '?', '{2}', '{1,3}', '{0,64}', '{2,}')
    const piece = fc.tuple(atom, quant).map(([a, q]) => a + q)
    const group = fc
      .tuple(fc.array(piece, { minLength: 1, maxLength: 3 }), quant)
      .map(([ps, q]) => `(?:${ps.join('')})${q}`)
    const pattern = fc
      .array(fc.oneof(piece, group), { minLength: 1, maxLength: 6 })
      .map((parts) => `^${parts.join('')}$`)
    const inputs = [
      'a'.repeat(63) + '!',
      '1'.repeat(63) + '!',
      'ab'.repeat(31) + '!!',
      'A1'.repeat(32),
    ]
    let accepted = 0
    fc.assert(
      fc.property(pattern, (p) => {
        let re: RegExp
        try {
          re = checkAccountPattern(p)
        } catch {
          return true
        }
        accepted++
        for (const input of inputs) {
          const started = performance.now()
          matchesAccountPattern(re, input)
          const ms = performance.now() - started
          if (ms > 50) throw new Error(`${p} took ${ms.toFixed(1)} ms on ${input}`)
        }
        return true
      }),
      { numRuns: 400, seed: 6 },
    )
    expect(accepted).toBeGreaterThan(20)
  })
})

describe('account numbers', () => {
  it('match whole, and not above the length cap', () => {
    const re = checkAccountPattern('^\\d+$')
    expect(matchesAccountPattern(re, '1'.repeat(MAX_ACCOUNT_NUMBER_LENGTH))).toBe(true)
    expect(matchesAccountPattern(re, '1'.repeat(MAX_ACCOUNT_NUMBER_LENGTH + 1))).toBe(false)
    expect(matchesAccountPattern(re, '')).toBe(false)
    expect(matchesAccountPattern(checkAccountPattern('^\\d{4}$'), '12345')).toBe(false)
  })

  it('are masked to the last four characters, fewer for short numbers', () => {
    expect(maskAccountNumber('3100567890')).toBe('****7890')
    expect(maskAccountNumber('SH12345678')).toBe('****5678')
    expect(maskAccountNumber('12345')).toBe('****45')
    expect(maskAccountNumber('1234')).toBe('****34')
    expect(maskAccountNumber('1')).toBe('****')
  })
})
