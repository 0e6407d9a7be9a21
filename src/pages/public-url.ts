/**
 * Every URL the API hands a person (the TV's QR codes, links in answers) starts with
 * PUBLIC_BASE_URL: the origin the person's phone reaches. In local dev `npm run dev` sets it to the
 * dev server's own origin. Never taken from the request's Host header (a forged Host would put a
 * stranger's site into a TV's QR code).
 */
export function publicUrl(env: { PUBLIC_BASE_URL: string }, path: string): string {
  return `${env.PUBLIC_BASE_URL.replace(/\/+$/, '')}${path}`
}
