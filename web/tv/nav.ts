import { getNextFocus } from '@bbc/tv-lrud-spatial'

/**
 * Screens and focus. A screen is one element in #screen; pushing hides the one below (its DOM,
 * scroll and focus stay as they were), Back removes the top one and puts focus back where it was.
 * Arrow keys move focus with lrud-spatial (the next focusable found geometrically, containers
 * remember their last focus); Enter clicks the focused button (the browser does that for buttons).
 */

export type Screen = {
  el: HTMLElement
  /** Called when the screen leaves for good (timers, long-polls, sockets). */
  dispose?: () => void
  /** Back on this screen: return true when the screen handled it itself. */
  onBack?: () => boolean
  /** Text typed on the phone (household channel `input.text`), for a screen with a text field. */
  onText?: (text: string) => void
  /** Keys typed on a keyboard (desktop browsers): letters and digits, for the search field. */
  onChar?: (ch: string) => void
}

type Entry = { screen: Screen; lastFocus: HTMLElement | null }

const stack: Entry[] = []
let root: HTMLElement

export function mount(el: HTMLElement) {
  root = el
}

export function current(): Screen | undefined {
  return stack.at(-1)?.screen
}

export function push(screen: Screen, focus?: HTMLElement | null) {
  const top = stack.at(-1)
  if (top) {
    top.lastFocus = document.activeElement as HTMLElement | null
    top.screen.el.hidden = true
  }
  stack.push({ screen, lastFocus: null })
  root.append(screen.el)
  focusIn(screen.el, focus)
}

/** Replaces the top screen (e.g. the pay screen after an order): Back skips the replaced one. */
export function replaceTop(screen: Screen, focus?: HTMLElement | null) {
  const top = stack.pop()
  if (top) {
    top.screen.dispose?.()
    top.screen.el.remove()
  }
  stack.push({ screen, lastFocus: null })
  root.append(screen.el)
  focusIn(screen.el, focus)
}

export function back(): void {
  const top = stack.at(-1)
  if (!top) return
  if (top.screen.onBack?.()) return
  if (stack.length === 1) return
  pop()
}

export function pop(): void {
  const top = stack.pop()
  if (!top) return
  top.screen.dispose?.()
  top.screen.el.remove()
  const below = stack.at(-1)
  if (below) {
    below.screen.el.hidden = false
    focusIn(below.screen.el, below.lastFocus)
  }
}

/** Back to the bottom screen (home), disposing everything above it. */
export function home(): void {
  while (stack.length > 1) pop()
}

/** Replaces the whole stack (pairing done, TV unpaired). */
export function reset(screen: Screen, focus?: HTMLElement | null) {
  while (stack.length) {
    const e = stack.pop()!
    e.screen.dispose?.()
    e.screen.el.remove()
  }
  push(screen, focus)
}

export function focusIn(scope: HTMLElement, preferred?: HTMLElement | null) {
  const target =
    preferred && scope.contains(preferred) && preferred.isConnected
      ? preferred
      : scope.querySelector<HTMLElement>('[autofocus], button:not([disabled]), [tabindex="0"]')
  focus(target)
}

export function focus(el: HTMLElement | null | undefined) {
  if (!el) return
  el.focus({ preventScroll: true })
  el.scrollIntoView({ block: 'nearest', inline: 'nearest' })
}

const DIRECTIONS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight'])
/** Back on a desktop keyboard, Tizen (10009), webOS (461) and Android TV/HbbTV browsers. */
const BACK_KEYS = new Set(['Escape', 'Backspace', 'BrowserBack', 'GoBack'])
const BACK_CODES = new Set([10009, 461, 8, 27])

/** Moves focus one step; returns false when nothing lies in that direction. */
export function move(key: string): boolean {
  const top = stack.at(-1)
  if (!top) return false
  const from =
    document.activeElement instanceof HTMLElement && top.screen.el.contains(document.activeElement)
      ? document.activeElement
      : null
  if (!from) {
    focusIn(top.screen.el)
    return true
  }
  // The typings say keyCode only; the library takes KeyboardEvent.key strings as well.
  const next = getNextFocus(from, key as unknown as number, top.screen.el)
  if (!next) return false
  focus(next)
  return true
}

export function isBack(e: KeyboardEvent): boolean {
  return BACK_KEYS.has(e.key) || BACK_CODES.has(e.keyCode)
}

export function installKeys(onKey: (e: KeyboardEvent) => void = () => {}) {
  document.addEventListener('keydown', (e) => {
    onKey(e)
    if (DIRECTIONS.has(e.key)) {
      e.preventDefault()
      move(e.key)
      return
    }
    if (isBack(e)) {
      e.preventDefault()
      back()
      return
    }
    if (e.key.length === 1 && /[0-9a-z ]/i.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      const onChar = current()?.onChar
      if (onChar) {
        e.preventDefault()
        onChar(e.key.toLowerCase())
      }
    }
  })
  // A click outside any focusable (a mouse on a desktop) must not strand focus on <body>.
  document.addEventListener('focusout', () => {
    setTimeout(() => {
      const top = stack.at(-1)
      if (top && (document.activeElement === document.body || !document.activeElement))
        focusIn(top.screen.el, top.lastFocus)
    }, 0)
  })
}
