/** A tiny element builder: the pages are small enough that a framework would only add weight. */
type Child = Node | string | number | null | undefined | false
type Props = {
  class?: string
  id?: string
  text?: string
  attrs?: Record<string, string | number | boolean | null | undefined>
  data?: Record<string, string>
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (e: HTMLElementEventMap[K]) => void }>
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  if (props?.class) el.className = props.class
  if (props?.id) el.id = props.id
  if (props?.text !== undefined) el.textContent = props.text
  for (const [name, value] of Object.entries(props?.attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue
    el.setAttribute(name, value === true ? '' : String(value))
  }
  for (const [name, value] of Object.entries(props?.data ?? {})) el.dataset[name] = value
  for (const [event, handler] of Object.entries(props?.on ?? {}))
    el.addEventListener(event, handler as EventListener)
  append(el, children)
  return el
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : String(child))
  }
}

/** Replaces everything inside `el`. */
export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren()
  append(el, children)
}

export function $(selector: string, root: ParentNode = document): HTMLElement {
  const el = root.querySelector<HTMLElement>(selector)
  if (!el) throw new Error(`missing element ${selector}`)
  return el
}

/** An SVG string made by our QR library (never from the network) as a DOM node. */
export function svg(markup: string): Element {
  const doc = new DOMParser().parseFromString(markup, 'image/svg+xml')
  return document.importNode(doc.documentElement, true)
}
