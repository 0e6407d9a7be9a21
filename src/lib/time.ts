/** RFC 3339 UTC with second precision: what every response uses for times. */
export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function nowMs(): number {
  return Date.now()
}
