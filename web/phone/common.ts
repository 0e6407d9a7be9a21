import { ApiProblem, request } from '../shared/api'
import { h, replace } from '../shared/dom'
import { type Words, messageFor } from '../shared/messages'
import { Session, type TokenAnswer } from '../shared/session'

/** The person's own session on their phone (user tokens; API.md "Users"). */
export const phone = new Session('tvpay.phone', (refresh_token) =>
  request<TokenAnswer>('/v1/auth/refresh', { method: 'POST', body: { refresh_token } }),
)

export type Me = { id: string; phone: string; has_payment_pin: boolean }

export const app = document.getElementById('app') as HTMLElement

export function page(title: string, subtitle: string | null, ...body: (Node | null | false)[]) {
  replace(
    app,
    h('header', { class: 'top' }, h('span', { class: 'brand', text: 'tvpay' }), signOutLink()),
    h('h1', { text: title }),
    subtitle ? h('p', { class: 'sub', text: subtitle }) : null,
    ...body,
  )
}

function signOutLink() {
  if (!phone.signedIn) return null
  return h('button', {
    class: 'link',
    text: '退出登录 Sign out',
    on: {
      click: () => {
        phone.clear()
        location.reload()
      },
    },
  })
}

export function notice(kind: 'error' | 'ok' | 'info', msg: Words) {
  return h(
    'div',
    { class: `notice ${kind}`, attrs: { role: kind === 'error' ? 'alert' : 'status' } },
    h('strong', { text: msg.zh }),
    h('span', { class: 'en', text: msg.en }),
  )
}

/** A whole-page message for a dead end (expired link, someone else's payment): never blank. */
export function deadEnd(title: string, msg: Words, ...extra: Node[]) {
  page(title, null, notice('error', msg), ...extra)
}

export function field(
  label: string,
  input: HTMLInputElement | HTMLSelectElement,
  hint?: string,
): HTMLElement {
  return h(
    'label',
    { class: 'field' },
    h('span', { text: label }),
    input,
    hint ? h('small', { text: hint }) : null,
  )
}

export function input(
  name: string,
  attrs: Record<string, string | boolean> = {},
): HTMLInputElement {
  return h('input', { attrs: { name, id: `f-${name}`, ...attrs } })
}

/** Disables the form while `work` runs; shows its failure in `box` (`explain` may word it). */
export async function busy<T>(
  form: HTMLElement,
  box: HTMLElement,
  work: () => Promise<T>,
  explain: (err: unknown) => Words | null = () => null,
) {
  const controls = [
    ...form.querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input, select'),
  ]
  for (const c of controls) c.disabled = true
  replace(box)
  try {
    return await work()
  } catch (err) {
    replace(box, notice('error', explain(err) ?? messageFor(err)))
    if (!(err instanceof ApiProblem)) console.error(err)
    return undefined
  } finally {
    for (const c of controls) c.disabled = false
  }
}

/**
 * Sign in or register, then `done()`. Phone numbers: 11 mainland digits or E.164 (API.md).
 */
export function signIn(why: string, done: () => void) {
  const phoneInput = input('phone', {
    type: 'tel',
    inputmode: 'tel',
    autocomplete: 'tel',
    required: true,
    placeholder: '13800138000',
  })
  const password = input('password', {
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    minlength: '8',
  })
  const box = h('div', { class: 'messages' })
  const submit = (path: string) => (e: Event) => {
    e.preventDefault()
    void busy(
      form,
      box,
      async () => {
        const answer = await request<TokenAnswer>(path, {
          method: 'POST',
          body: { phone: phoneInput.value.trim(), password: password.value },
        })
        phone.save(answer)
        done()
      },
      explainSignIn,
    )
  }
  const form = h(
    'form',
    { class: 'card', on: { submit: submit('/v1/auth/login') } },
    field('手机号 Phone', phoneInput),
    field('密码 Password', password, '至少 8 位 At least 8 characters'),
    box,
    h(
      'div',
      { class: 'actions' },
      h('button', {
        class: 'primary',
        attrs: { type: 'submit', id: 'login' },
        text: '登录 Sign in',
      }),
      h('button', {
        attrs: { type: 'button', id: 'register' },
        text: '注册新账号 Register',
        on: { click: submit('/v1/auth/register') },
      }),
    ),
  )
  page('登录 tvpay', why, form)
  phoneInput.focus()
}

/** A wrong password says how many tries this number has left; a lockout says for how long. */
function explainSignIn(err: unknown): Words | null {
  if (!(err instanceof ApiProblem)) return null
  const left = err.attemptsLeft('login:phone')
  if (err.code === 'invalid_credentials' && left !== null) {
    return {
      zh: `手机号或密码不对，这个号码还可以再试 ${left} 次。`,
      en: `Wrong phone number or password: ${left} ${left === 1 ? 'try' : 'tries'} left for this number.`,
    }
  }
  const wait = err.retryAfter()
  if (err.code === 'rate_limited' && wait !== null) {
    const minutes = Math.ceil(wait / 60)
    return {
      zh: `尝试次数太多，请 ${minutes} 分钟后再试。`,
      en: `Too many attempts; try again in ${minutes} min.`,
    }
  }
  return null
}

/** Sets the 6-digit payment PIN (the account password proves it is the owner). */
export function pinSetupForm(done: () => void): HTMLElement {
  const pin = input('new-pin', {
    type: 'password',
    inputmode: 'numeric',
    pattern: '\\d{6}',
    maxlength: '6',
    autocomplete: 'off',
    required: true,
  })
  const password = input('pin-password', {
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  })
  const box = h('div', { class: 'messages' })
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card',
      on: {
        submit: (e) => {
          e.preventDefault()
          void busy(form, box, async () => {
            await phone.call('/v1/me/payment-pin', {
              method: 'PUT',
              body: { pin: pin.value, password: password.value },
            })
            done()
          })
        },
      },
    },
    h('h2', { text: '设置支付密码 Set a payment PIN' }),
    h('p', {
      class: 'sub',
      text: '每次付款都要输入这 6 位数字 Every payment asks for these 6 digits',
    }),
    field('支付密码 PIN (6 位数字)', pin),
    field('账号密码 Account password', password),
    box,
    h(
      'div',
      { class: 'actions' },
      h('button', { class: 'primary', attrs: { type: 'submit' }, text: '保存 Save' }),
    ),
  )
  return form
}

export function loading() {
  replace(app, h('p', { class: 'loading', text: '加载中… Loading…' }))
}

/** Last resort: a failure nobody expected still ends in words, not a blank page. */
export function guard(run: () => Promise<void>) {
  run().catch((err) => {
    console.error(err)
    deadEnd('出错了 Something went wrong', messageFor(err))
  })
}
