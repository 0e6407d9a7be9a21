/**
 * What `z.locales` holds in the Worker bundle: the two languages the API answers in. zod's own
 * locales index re-exports every language it ships (about 360 KB), and `z` is used as a value
 * (zod-to-openapi extends it), so no bundler can drop them; wrangler.toml's [alias] puts this
 * module in place of that index. Tests and Node scripts import zod unchanged.
 */
export { default as en } from 'zod/v4/locales/en.js'
export { default as zhCN } from 'zod/v4/locales/zh-CN.js'
