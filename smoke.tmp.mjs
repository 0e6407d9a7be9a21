import { chromium } from 'playwright-core'
const B = 'http://localhost:8700'
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
})
const tvc = await browser.newContext({ viewport: { width: 1920, height: 1080 } })
await tvc.route(/^https?:\/\/(?!localhost)/, (r) => r.abort())
const tvp = await tvc.newPage()
tvp.on('console', (m) => m.type() === 'error' && console.log('tv console', m.text()))
tvp.on('pageerror', (e) => console.log('tv pageerror', e.message))
await tvp.goto(B + '/tv/')
await tvp.waitForSelector('#user-code')
await tvp.screenshot({ path: '/tmp/client-shots/tv-pair.png' })
const code = await tvp.textContent('#user-code')
const ph = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage()
ph.on('pageerror', (e) => console.log('ph pageerror', e.message))
await ph.goto(B + '/activate?user_code=' + code)
await ph.fill('#f-phone', '13900000' + String(Date.now()).slice(-3))
await ph.fill('#f-password', 'correct horse battery')
await ph.click('#register')
await ph.click('#approve')
await ph.waitForSelector('.done-mark')
await tvp.waitForSelector('#rails .rail', { timeout: 20000 })
await tvp.waitForTimeout(500)
await tvp.screenshot({ path: '/tmp/client-shots/tv-home.png' })
for (const k of ['ArrowDown', 'ArrowRight', 'ArrowRight']) await tvp.keyboard.press(k)
await tvp.screenshot({ path: '/tmp/client-shots/tv-home2.png' })
console.log('focused', await tvp.evaluate(() => document.activeElement?.id))
await browser.close()
