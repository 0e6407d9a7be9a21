import { renderSVG } from 'uqr'
import { svg } from './dom'

/** A QR code as inline SVG (uqr), medium error correction: readable from a phone at 3 m. */
export function qrCode(text: string, label: string): Element {
  const el = svg(renderSVG(text, { ecc: 'M', pixelSize: 1, border: 2 }))
  el.setAttribute('class', 'qr')
  el.setAttribute('role', 'img')
  el.setAttribute('aria-label', label)
  el.setAttribute('shape-rendering', 'crispEdges')
  // What the code says, for people and tests that cannot scan a screen.
  el.setAttribute('data-qr-text', text)
  return el
}
