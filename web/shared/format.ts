import type { Money } from './api'

/** 129900 fen → "¥1,299.00". Integer arithmetic: no float ever touches an amount. */
export function yuan(money: Money): string {
  const sign = money.amount < 0 ? '-' : ''
  const fen = Math.abs(money.amount)
  const whole = Math.floor(fen / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const cents = (fen % 100).toString().padStart(2, '0')
  return `${sign}¥${whole}.${cents}`
}

/** "12:05" style remaining time, never negative. */
export function countdown(untilIso: string, now = Date.now()): string {
  const left = Math.max(0, Math.floor((Date.parse(untilIso) - now) / 1000))
  const m = Math.floor(left / 60)
  const s = left % 60
  return `${m}:${s.toString().padStart(2, '0')}`
}

export function day(iso: string): string {
  return iso.slice(0, 10)
}
