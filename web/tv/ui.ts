import { h } from '../shared/dom'
import type { Words } from '../shared/messages'
import type { Image } from '../shared/types'

let uid = 0
/** lrud-spatial remembers a container's last focus by element id: every focusable gets one. */
export function nextId(prefix: string): string {
  return `${prefix}-${++uid}`
}

export function button(
  label: string | Node[],
  onPress: () => void,
  opts: { class?: string; id?: string; disabled?: boolean; aria?: string } = {},
): HTMLButtonElement {
  const b = h('button', {
    class: `btn ${opts.class ?? ''}`.trim(),
    id: opts.id ?? nextId('b'),
    attrs: { type: 'button', disabled: opts.disabled, 'aria-label': opts.aria },
    on: { click: onPress },
  })
  if (typeof label === 'string') b.textContent = label
  else b.append(...label)
  return b
}

/** A product picture; when it cannot load (offline, blocked) a calm tile with the brand instead. */
export function picture(image: Image | null, fallback: string, cls = 'pic'): HTMLElement {
  const box = h('div', { class: `${cls} ph`, attrs: { 'data-initial': fallback.slice(0, 2) } })
  if (image) {
    const img = h('img', { attrs: { src: image.url, alt: '', loading: 'lazy', decoding: 'async' } })
    img.addEventListener('load', () => box.classList.remove('ph'))
    img.addEventListener('error', () => img.remove())
    box.append(img)
  }
  return box
}

let toastTimer: ReturnType<typeof setTimeout> | undefined
export function toast(words: Words, kind: 'error' | 'ok' | 'info' = 'error') {
  const el = document.getElementById('toast')
  if (!el) return
  el.className = `show ${kind}`
  el.replaceChildren(h('strong', { text: words.zh }), h('span', { text: words.en }))
  clearTimeout(toastTimer)
  toastTimer = setTimeout(() => {
    el.className = ''
  }, 5000)
}

export function screenEl(cls: string, ...children: (Node | null | false)[]): HTMLElement {
  return h('section', { class: `screen ${cls}` }, ...children)
}

export function heading(zh: string, en: string): HTMLElement {
  return h('h1', { class: 'heading' }, zh, h('small', { text: en }))
}

/** The 1920×1080 stage scaled to whatever window it runs in (a TV is already 1920×1080). */
export function fitStage(stage: HTMLElement) {
  const fit = () => {
    const scale = Math.min(innerWidth / 1920, innerHeight / 1080)
    stage.style.transform = scale === 1 ? '' : `scale(${scale})`
  }
  addEventListener('resize', fit)
  fit()
}
