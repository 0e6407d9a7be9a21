/**
 * Due dates are calendar dates as printed on the bill, in China Standard Time (UTC+8, no daylight
 * saving), so "today" and "overdue" are computed on that calendar whatever the server's zone.
 */
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000

export function chinaDate(nowMs: number, plusDays = 0): string {
  return new Date(nowMs + CHINA_OFFSET_MS + plusDays * DAY_MS).toISOString().slice(0, 10)
}

/** 'YYYY-MM-DD' naming a real calendar day (no 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false
  const d = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value
}

/** Overdue: still owing after the due date has passed (on the due date itself it is not overdue). */
export function isOverdue(dueDate: string, status: string, nowMs: number): boolean {
  return status !== 'paid' && dueDate < chinaDate(nowMs)
}
