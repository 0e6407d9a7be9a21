import { createClient, unwrap } from 'tvpay/client'

const base = process.env.BASE ?? 'http://localhost:8787'
const phone = `+86138${String(Date.now() % 1e8).padStart(8, '0')}`
const signUp = createClient(base).v1.auth.register.$post({
  json: { phone, password: 'correct horse battery' },
})
const { access_token } = await unwrap(signUp)
const api = createClient(base, { token: access_token, language: 'en' })
console.log(await unwrap(api.v1.me.$get())) // { id, phone, has_payment_pin: false, device: null }
const missing = api.v1.products[':id'].$get({ param: { id: 'prd_nope' } })
await unwrap(missing).catch((e) => console.log(e.status, e.code, e.title)) // 404 not_found Not found
