import { ApiProblem, request } from '../../shared/api'
import { h, replace } from '../../shared/dom'
import { countdown } from '../../shared/format'
import { messageFor, text } from '../../shared/messages'
import { qrCode } from '../../shared/qr'
import type { TokenAnswer } from '../../shared/session'
import { CLIENT_ID, DEVICE_NAME, identity, tv } from '../device'
import type { Screen } from '../nav'
import { button, heading, screenEl, toast } from '../ui'

type Started = {
  device_code: string
  user_code: string
  verification_uri: string
  verification_uri_complete: string
  expires_in: number
  interval: number
}

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/**
 * RFC 8628 on the TV: show the code and a QR code of verification_uri_complete, poll the token
 * endpoint every `interval` seconds (5 more after each slow_down), stop on approval, denial or
 * expiry. `paired()` runs once the tokens are stored.
 */
export function pairingScreen(opts: {
  paired: () => void
  browse?: () => void
  why?: string
}): Screen {
  let timer: ReturnType<typeof setTimeout> | undefined
  let tick: ReturnType<typeof setInterval> | undefined
  let alive = true
  const body = h(
    'div',
    { class: 'pair-body' },
    h('p', { class: 'status', text: '正在获取绑定码… Getting a code…' }),
  )
  const again = button('换一个码 New code', () => void begin(), {
    class: 'secondary',
    id: 'pair-new-code',
  })
  const browse = opts.browse
    ? button('先逛逛 Browse first', opts.browse, { class: 'secondary', id: 'pair-browse' })
    : null
  const el = screenEl(
    'pairing',
    heading('用手机扫码，绑定这台电视', 'Scan with your phone to pair this TV'),
    opts.why ? h('p', { class: 'why', text: opts.why }) : null,
    body,
    h('div', { class: 'actions' }, again, browse),
  )

  const stop = () => {
    clearTimeout(timer)
    clearInterval(tick)
  }

  async function begin() {
    stop()
    let started: Started
    try {
      started = await request<Started>('/v1/oauth/device_authorization', {
        method: 'POST',
        form: true,
        body: { client_id: CLIENT_ID, device_name: DEVICE_NAME },
      })
    } catch (err) {
      const m = messageFor(err)
      replace(body, h('p', { class: 'status error', text: `${m.zh} ${m.en}` }))
      return
    }
    if (!alive) return
    body.classList.remove('dead')
    const left = h('span', {
      id: 'pair-expires',
      text: countdown(new Date(Date.now() + started.expires_in * 1000).toISOString()),
    })
    const status = h('p', {
      class: 'status',
      id: 'pair-status',
      text: '等待手机确认… Waiting for your phone…',
    })
    const expiresAt = new Date(Date.now() + started.expires_in * 1000).toISOString()
    replace(
      body,
      h(
        'div',
        { class: 'qr-box' },
        qrCode(started.verification_uri_complete, '绑定二维码 Pairing QR code'),
      ),
      h(
        'div',
        { class: 'pair-text' },
        h('p', { class: 'label', text: '绑定码 Code' }),
        h('p', { class: 'user-code', id: 'user-code', text: started.user_code }),
        h(
          'p',
          { class: 'hint' },
          '或在手机浏览器打开 Or open on your phone',
          h('br'),
          h('b', { text: started.verification_uri }),
        ),
        h('p', { class: 'hint' }, '绑定码有效期 Expires in ', left),
        status,
      ),
    )
    tick = setInterval(() => {
      left.textContent = countdown(expiresAt)
    }, 1000)
    let interval = started.interval
    const poll = async () => {
      if (!alive) return
      try {
        const tokens = await request<TokenAnswer>('/v1/oauth/token', {
          method: 'POST',
          form: true,
          body: { grant_type: GRANT, device_code: started.device_code, client_id: CLIENT_ID },
        })
        stop()
        tv.save(tokens)
        identity()
        toast({ zh: '绑定成功', en: 'Paired' }, 'ok')
        opts.paired()
        return
      } catch (err) {
        if (!(err instanceof ApiProblem)) throw err
        if (err.code === 'authorization_pending') {
          // keep polling
        } else if (err.code === 'slow_down') {
          interval = Number(err.body.interval) || interval + 5
        } else if (err.status === 0) {
          status.textContent = '网络中断，正在重试… Network lost, retrying…'
        } else {
          stop()
          body.classList.add('dead')
          const m = err.code === 'invalid_grant' ? text('expired_token') : messageFor(err)
          status.className = 'status error'
          status.textContent = `${m.zh} ${m.en}`
          again.focus()
          return
        }
      }
      timer = setTimeout(poll, interval * 1000)
    }
    timer = setTimeout(poll, interval * 1000)
  }

  void begin()
  return {
    el,
    dispose: () => {
      alive = false
      stop()
    },
  }
}
