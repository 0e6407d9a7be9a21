import type { Page } from 'playwright-core'

/**
 * A remote control for Playwright: arrow keys, Enter and Back (Escape) only. `focusOn` walks the
 * focus to an element by pressing arrows toward it (vertical first, then horizontal), exactly as a
 * person would; it never clicks and never calls .focus().
 */
export async function focusOn(page: Page, selector: string, maxPresses = 40): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    const step = await page.evaluate((sel) => {
      const target = document.querySelector(sel)
      const active = document.activeElement
      if (!target) return 'missing'
      if (active === target) return 'done'
      const t = target.getBoundingClientRect()
      const a = active?.getBoundingClientRect()
      if (!a) return 'ArrowDown'
      const [tx, ty, ax, ay] = [
        t.x + t.width / 2,
        t.y + t.height / 2,
        a.x + a.width / 2,
        a.y + a.height / 2,
      ]
      if (Math.abs(ty - ay) > Math.min(t.height, a.height) / 2)
        return ty > ay ? 'ArrowDown' : 'ArrowUp'
      return tx > ax ? 'ArrowRight' : 'ArrowLeft'
    }, selector)
    if (step === 'done') return
    if (step === 'missing') throw new Error(`no element ${selector} on the TV screen`)
    await page.keyboard.press(step)
  }
  const at = await page.evaluate(() => document.activeElement?.id)
  throw new Error(`could not reach ${selector} with arrow keys (focus is on #${at})`)
}

export async function press(page: Page, selector: string) {
  await focusOn(page, selector)
  await page.keyboard.press('Enter')
}

export async function back(page: Page) {
  await page.keyboard.press('Escape')
}
