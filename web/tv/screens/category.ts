import { h, replace } from '../../shared/dom'
import { messageFor } from '../../shared/messages'
import type { Category, List, ProductSummary } from '../../shared/types'
import { read } from '../device'
import { type Screen, focus, focusIn } from '../nav'
import { button, heading, screenEl } from '../ui'
import { productTile } from './home'

/** A category's products, 18 at a time (keyset pages: `more` follows next_cursor). */
export function categoryScreen(c: Category, go: { product: (id: string) => void }): Screen {
  const grid = h('div', { class: 'grid', id: 'category-grid' })
  const el = screenEl('category', heading(c.name, 'Category'), grid)
  let cursor: string | null = null
  const more = button('更多 More', () => void page(), { id: 'more', class: 'secondary' })
  void page()

  async function page() {
    const params = new URLSearchParams({ category_id: c.id, limit: '18' })
    if (cursor) params.set('cursor', cursor)
    try {
      const list = await read<List<ProductSummary>>(`/v1/products?${params}`)
      const first = !cursor
      more.remove()
      const tiles = list.items.map((p) => productTile(p, () => go.product(p.id)))
      grid.append(...tiles)
      cursor = list.next_cursor ?? null
      if (cursor) grid.append(more)
      if (first && !el.hidden) focusIn(el)
      else focus(tiles[0])
      if (!grid.childElementCount)
        replace(grid, h('p', { class: 'status', text: '这个分类还没有商品 · Nothing here yet' }))
    } catch (err) {
      const m = messageFor(err)
      grid.append(h('p', { class: 'status error', text: `${m.zh} ${m.en}` }))
    }
  }
  return { el }
}
