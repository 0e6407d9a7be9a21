// /docs/problems: every error code with its zh-CN and en text, built from the same table the API
// answers with (src/http/error-text.ts); each problem's `type` URI points at its #code here.
import { build } from 'esbuild'

const entry = `
export { ERROR_STATUS } from './src/http/errors'
export { ERROR_TEXT, LANGUAGES } from './src/http/error-text'
`

async function loadTable() {
  const out = await build({
    stdin: { contents: entry, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
    logLevel: 'warning',
  })
  const code = out.outputFiles[0].text
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)
}

const escape = (s) =>
  String(s).replace(
    /[&<>"]/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch],
  )

export async function problemsPage() {
  const { ERROR_STATUS, ERROR_TEXT, LANGUAGES } = await loadTable()
  const rows = Object.entries(ERROR_STATUS).map(([code, status]) => {
    const texts = LANGUAGES.map((lang) => {
      const t = ERROR_TEXT[code][lang]
      return `<div lang="${lang}"><b>${escape(t.title)}</b> ${escape(t.detail)}</div>`
    }).join('\n      ')
    return `  <section id="${code}">
    <h2><a href="#${code}">${code}</a> <small>${status}</small></h2>
      ${texts}
  </section>`
  })
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>tvpay 错误代码 · Problem types</title>
<style>
  body { font: 16px/1.6 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  section { border-top: 1px solid #ddd; padding: .5rem 0; }
  section:target { background: #fff8d6; }
  h2 { font-size: 1.05rem; margin: .3rem 0; font-family: ui-monospace, monospace; }
  h2 a { color: inherit; text-decoration: none; }
  small { color: #777; font-weight: normal; }
  div[lang="en"] { color: #555; }
</style>
</head>
<body>
<h1>错误代码 · Problem types</h1>
<p lang="zh-CN">每个错误响应都是 <code>application/problem+json</code>（RFC 9457）。<code>code</code> 永不改变，程序请按它判断；
<code>title</code> 和 <code>detail</code> 按 <code>Accept-Language</code>（或 <code>?lang=</code>）用中文（默认）或英文书写，
响应头 <code>Content-Language</code> 注明所用语言。</p>
<p lang="en">Every error answer is <code>application/problem+json</code> (RFC 9457). Programs decide on
<code>code</code>, which never changes; <code>title</code> and <code>detail</code> are written in zh-CN (the
default) or en as <code>Accept-Language</code> (or <code>?lang=</code>) asks, and <code>Content-Language</code>
names the one used. The English <code>detail</code> is often more specific than the text below.</p>
<p><a href="/docs">API reference</a></p>
${rows.join('\n')}
</body>
</html>
`
}
