import type { Page } from 'playwright-core'

/**
 * A remote control for Playwright: arrow keys, Enter and Back (Escape) only. `focusOn` walks the
 * focus to an element by pressing arrows toward it (vertical first, then horizontal), exactly as a
 * person would; it never clicks and never calls .focus(). By default keys go as fast as the test
 * can send them; `paceMs` waits that long before each key, as a person's thumb does.
 */
export type Pace = { paceMs?: number }

export async function focusOn(
  page: Page,
  selector: string,
  { paceMs = 0 }: Pace = {},
  maxPresses = 40,
): Promise<void> {
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
    if (paceMs) await page.waitForTimeout(paceMs)
    await page.keyboard.press(step)
  }
  const at = await page.evaluate(() => document.activeElement?.id)
  throw new Error(`could not reach ${selector} with arrow keys (focus is on #${at})`)
}

export async function press(page: Page, selector: string, pace: Pace = {}) {
  await focusOn(page, selector, pace)
  if (pace.paceMs) await page.waitForTimeout(pace.paceMs)
  await page.keyboard.press('Enter')
}

export async function back(page: Page) {
  await page.keyboard.press('Escape')
}
