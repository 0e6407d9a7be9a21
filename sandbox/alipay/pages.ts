// Two small pages that play the person with the Alipay app: a list of trades with a box to paste a
// scanned qr_code, and the "cashier" a qr_code opens, with the ways to pay.
import { refundedFen, type Trade, yuan } from './trades'

const STYLE = `body{font:16px system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}
h1{color:#1677ff}table{border-collapse:collapse;width:100%}td,th{padding:.3rem;border-bottom:1px solid #ddd;text-align:left}
button{font-size:1rem;margin:.2rem;padding:.5rem 1rem}input[type=text]{width:100%;font-size:1rem;padding:.4rem}
.amount{font-size:2.2rem;font-weight:600}.note{color:#666;font-size:.9rem}`

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title>
<style>${STYLE}</style></head><body>${body}</body></html>`
}

export function homePage(trades: Trade[]): string {
  const rows = trades
    .map(
      (t) => `<tr><td><a href="/qr/${t.qrToken}">${esc(t.outTradeNo)}</a></td>
<td>${esc(t.subject)}</td><td>¥${yuan(t.fen)}</td><td>${t.status}${t.scanned ? '' : ' (not scanned)'}</td>
<td>${t.refunds.length ? `¥${yuan(refundedFen(t))}` : ''}</td></tr>`,
    )
    .join('')
  return page(
    'Alipay sandbox',
    `<h1>Alipay sandbox (local)</h1>
<p class="note">Plays Alipay for tvpay's local development: gateway.do with RSA2 both ways, and this
buyer. Paste the <code>qr_code</code> the TV shows, or pick a trade.</p>
<form method="get" action="/scan"><input type="text" name="qr_code" placeholder="qr_code"> <button>Scan</button></form>
<h2>Trades</h2><table><tr><th>out_trade_no</th><th>subject</th><th>amount</th><th>status</th><th>refunded</th></tr>${rows}</table>`,
  )
}

export function cashierPage(trade: Trade, message = ''): string {
  const open = trade.status === 'WAIT_BUYER_PAY'
  const buttons = open
    ? `<form method="post" action="/sandbox/pay">
<input type="hidden" name="out_trade_no" value="${esc(trade.outTradeNo)}">
<button name="notify" value="now">Pay</button>
<button name="notify" value="late">Pay, notify 30 s late</button>
<button name="notify" value="twice">Pay, notify twice</button>
<button name="notify" value="none">Pay, never notify</button></form>`
    : ''
  return page(
    'Alipay cashier',
    `<h1>支付宝 · sandbox cashier</h1><p>${esc(trade.subject)}</p>
<p class="amount">¥${yuan(trade.fen)}</p><p>${esc(trade.outTradeNo)} · ${trade.status}</p>
${message ? `<p><strong>${esc(message)}</strong></p>` : ''}${buttons}
<p class="note">Notifies: ${trade.notifies.map((n) => `${n.tradeStatus} → ${esc(n.answer)}`).join('; ') || 'none yet'}</p>
<p><a href="/">All trades</a></p>`,
  )
}

function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )
}
