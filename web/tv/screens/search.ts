import { h, replace } from '../../shared/dom'
import { messageFor } from '../../shared/messages'
import type { Category, Suggestion } from '../../shared/types'
import { type Screen, focus } from '../nav'
import { type Mode, Suggester } from '../suggest'
import { button, heading, nextId, screenEl } from '../ui'

/** When the last key went down (set by main.ts's keydown listener): the start of a keypress. */
export const lastKey = { at: 0 }

const ABC = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('')
const T9: [string, string][] = [
  ['1', ''],
  ['2', 'abc'],
  ['3', 'def'],
  ['4', 'ghi'],
  ['5', 'jkl'],
  ['6', 'mno'],
  ['7', 'pqrs'],
  ['8', 'tuv'],
  ['9', 'wxyz'],
]

/**
 * Search with a remote: an on-screen keyboard (full pinyin letters, or a phone's T9 keypad),
 * suggestions on every keypress. Pinyin initials work as they are (`xmds` → 小米电视); in T9 mode
 * the digits go to the API as digits (`96` → xm…).
 */
export function searchScreen(go: {
  product: (id: string) => void
  category: (c: Category) => void
}): Screen {
  let q = ''
  let mode: Mode = 'text'
  const query = h('div', { class: 'query', id: 'query', attrs: { 'aria-live': 'polite' } })
  const hint = h('p', { class: 'hint', id: 'search-hint' })
  const results = h('div', { class: 'suggestions lrud-container', id: 'suggestions' })
  const keypad = h('div', { class: 'keypad lrud-container', id: 'keypad' })
  /** The query each keypad key would make if pressed now (Clear makes none worth asking). */
  const wouldMake = new Map<Element, () => string>()
  keypad.addEventListener('focusin', (e) => {
    const next = wouldMake.get(e.target as Element)
    if (next) suggester.prefetch(next(), mode)
  })
  const modes = h(
    'div',
    { class: 'modes lrud-container' },
    button('拼音 ABC', () => setMode('text'), { id: 'mode-text', class: 'pill' }),
    button('九宫格 T9', () => setMode('t9'), { id: 'mode-t9', class: 'pill' }),
  )
  const suggester = new Suggester(
    (items, forQ) => render(items, forQ),
    (err) => {
      const m = messageFor(err)
      replace(results, h('p', { class: 'status error', text: `${m.zh} ${m.en}` }))
    },
  )

  const pressedAt = () => (performance.now() - lastKey.at < 100 ? lastKey.at : performance.now())
  const setQuery = (next: string, at = pressedAt()) => {
    q = next.slice(0, 32)
    query.textContent = q || ' '
    query.classList.toggle('empty', q === '')
    suggester.type(q, mode, at)
  }

  function setMode(next: Mode) {
    mode = next
    modes.querySelector('#mode-text')?.classList.toggle('on', mode === 'text')
    modes.querySelector('#mode-t9')?.classList.toggle('on', mode === 't9')
    hint.textContent =
      mode === 'text'
        ? '输入拼音或首字母，如 xmds = 小米电视 · Pinyin or initials'
        : '按数字键，如 9426 = xiao · Phone keypad digits'
    wouldMake.clear()
    const key = (
      label: string | Node[],
      next: () => string,
      opts: Parameters<typeof button>[2],
    ) => {
      const b = button(label, () => setQuery(next()), opts)
      wouldMake.set(b, () => next().slice(0, 32))
      return b
    }
    const keys =
      mode === 'text'
        ? ABC.map((c) => key(c, () => q + c, { class: 'key', id: `key-${c}` }))
        : T9.map(([d, letters]) =>
            key([h('b', { text: d }), h('small', { text: letters })], () => q + d, {
              class: 'key t9',
              id: `key-${d}`,
              aria: d,
            }),
          )
    const spaceOr0 = mode === 't9' ? '0' : ' '
    replace(
      keypad,
      ...keys,
      key(mode === 't9' ? '0' : '空格', () => q + spaceOr0, {
        class: 'key',
        id: 'key-space-or-0',
      }),
      key('⌫ 删除', () => q.slice(0, -1), { class: 'key wide', id: 'key-delete' }),
      button('清空', () => setQuery(''), { class: 'key wide', id: 'key-clear' }),
    )
    keypad.className = `keypad lrud-container ${mode}`
    setQuery('')
    focus(keypad.querySelector<HTMLElement>('button'))
  }

  function render(items: Suggestion[], forQ: string) {
    if (forQ === '') {
      replace(
        results,
        h('p', { class: 'status', text: '输入后这里显示建议 · Suggestions appear here' }),
      )
      return
    }
    if (items.length === 0) {
      replace(
        results,
        h('p', {
          class: 'status',
          id: 'no-suggestions',
          text: `没有找到「${forQ}」 · Nothing for “${forQ}”`,
        }),
      )
      return
    }
    replace(
      results,
      ...items.map((s) =>
        button(
          [
            h('span', { class: `kind ${s.kind}`, text: s.kind === 'category' ? '分类' : '商品' }),
            h('span', { text: s.title }),
          ],
          () =>
            s.kind === 'category'
              ? go.category({ id: s.id, name: s.title, parent_id: null })
              : go.product(s.id),
          { class: 'suggestion', id: nextId(`s-${s.id}`) },
        ),
      ),
    )
  }

  const el = screenEl(
    'search',
    heading('搜索', 'Search'),
    h(
      'div',
      { class: 'search-body' },
      h('div', { class: 'left' }, query, modes, keypad, hint),
      results,
    ),
  )
  setMode('text')
  return {
    el,
    dispose: () => suggester.dispose(),
    onChar: (ch) => setQuery(q + ch),
    onText: (text) => setQuery(text.toLowerCase()),
  }
}
