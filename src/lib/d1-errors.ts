/** D1 reports constraint failures as error messages (sometimes on `cause`); this is the text. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause instanceof Error ? ` ${err.cause.message}` : ''
  return `${err.message}${cause}`
}
