import './phone.css'
import { ApiProblem } from '../shared/api'
import { h } from '../shared/dom'
import {
  type Me,
  busy,
  field,
  guard,
  input,
  notice,
  page,
  phone,
  pinSetupForm,
  signIn,
} from './common'
import { openRequestedPayments } from './follow'

// RFC 8628 verification_uri: the person approves (or refuses) the TV that shows this code.

type Activation = {
  status: 'approved' | 'denied'
  device: { id: string; name: string; client_id: string } | null
}

const fromLink = new URLSearchParams(location.search).get('user_code') ?? ''

function start() {
  if (!phone.signedIn)
    return signIn('登录后即可绑定电视上显示的设备 Sign in to pair the TV showing the code', start)
  askForCode(fromLink)
}

function askForCode(prefill: string) {
  const code = input('user_code', {
    class: 'code-input',
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
    required: true,
    maxlength: '12',
    placeholder: 'BCDF-GHJK',
    value: prefill.toUpperCase(),
  })
  const box = h('div', { class: 'messages' })
  const decide = (approve: boolean) => (e: Event) => {
    e.preventDefault()
    void busy(
      form,
      box,
      async () => {
        const result = await phone.call<Activation>('/v1/devices/activate', {
          method: 'POST',
          body: { user_code: code.value.trim(), approve },
        })
        await decided(result)
      },
      (err) =>
        err instanceof ApiProblem && err.status === 404
          ? {
              zh: '这个绑定码无效、已过期或已被使用。请在电视上重新获取一个。',
              en: 'This code is wrong, expired or already used. Get a new one on the TV.',
            }
          : null,
    )
  }
  const form: HTMLFormElement = h(
    'form',
    { class: 'card', on: { submit: decide(true) } },
    field('电视上的绑定码 Code on the TV', code, '不区分大小写 Letters only, any case'),
    box,
    h(
      'div',
      { class: 'actions' },
      h('button', {
        class: 'primary',
        attrs: { type: 'submit', id: 'approve' },
        text: '允许绑定 Approve',
      }),
      h('button', {
        attrs: { type: 'button', id: 'deny' },
        text: '拒绝 Deny',
        on: { click: decide(false) },
      }),
    ),
  )
  page(
    '绑定电视 Pair a TV',
    '请核对电视上显示的绑定码。只绑定你自己的电视。Check the code on the TV; only pair a TV you own.',
    form,
  )
}

async function decided(result: Activation) {
  if (result.status === 'denied' || !result.device) {
    page(
      '已拒绝 Declined',
      null,
      notice('info', {
        zh: '已拒绝，这台电视不会绑定到你的账号。',
        en: 'Declined: that TV will not be paired with your account.',
      }),
    )
    return
  }
  const me = await phone.call<Me>('/v1/me')
  // The person's next step is on the TV; a payment started there opens on this page by itself.
  // Not while the PIN form is being filled in: leaving it would lose what was typed.
  let settingPin = !me.has_payment_pin
  const follow = openRequestedPayments(() => !settingPin)
  const body: Node[] = [
    h('p', { class: 'done-mark', text: '✓' }),
    notice('ok', {
      zh: `已绑定「${result.device.name}」，电视会自动继续。`,
      en: `"${result.device.name}" is paired; the TV carries on by itself.`,
    }),
  ]
  const devicesLink = h(
    'p',
    {},
    h('a', { attrs: { href: '/devices' }, text: '管理我的电视 Manage my TVs' }),
  )
  if (!me.has_payment_pin) {
    const after = () => {
      settingPin = false
      page(
        '已绑定 Paired',
        null,
        ...body,
        notice('ok', { zh: '支付密码已设置', en: 'Payment PIN set' }),
        follow,
        devicesLink,
      )
    }
    page('已绑定 Paired', null, ...body, pinSetupForm(after), devicesLink)
  } else {
    page('已绑定 Paired', null, ...body, follow, devicesLink)
  }
}

guard(async () => start())
