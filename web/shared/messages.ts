import { ApiProblem } from './api'

/**
 * What a person reads when something goes wrong: Chinese first, English beneath. Keyed by the
 * API's stable `code` (src/http/errors.ts); anything unknown falls back to the API's own detail.
 */
const TEXTS: Record<string, [zh: string, en: string]> = {
  network: [
    '连不上服务器，请检查网络后重试',
    'Cannot reach the server; check the network and retry',
  ],
  signed_out: ['请先登录', 'Please sign in'],
  unauthorized: ['登录已失效，请重新登录', 'Your sign-in has ended; please sign in again'],
  invalid_token: ['登录已失效，请重新登录', 'Your sign-in has ended; please sign in again'],
  invalid_credentials: ['手机号或密码不对', 'Wrong phone number or password'],
  phone_taken: ['这个手机号已注册，请直接登录', 'This number is already registered; sign in'],
  validation_failed: ['填写的内容有误', 'Some of the details are not valid'],
  rate_limited: ['尝试次数太多，请稍后再试', 'Too many attempts; try again later'],
  not_found: ['找不到，可能已过期或已被使用', 'Not found: it may have expired or been used'],
  invalid_pin: ['支付密码不对', 'Wrong payment PIN'],
  pin_locked: [
    '支付密码错误次数太多，支付已锁定 15 分钟',
    'Too many wrong PINs: payments are locked for 15 minutes',
  ],
  pin_not_set: ['还没有设置支付密码', 'No payment PIN set yet'],
  insufficient_funds: [
    '余额不足，请换一种付款方式',
    'Not enough balance; choose another way to pay',
  ],
  payment_expired: [
    '这笔付款已过期，请在电视上重新下单',
    'This payment has expired; start again on the TV',
  ],
  payment_not_confirmable: ['这笔付款已处理，无需再确认', 'This payment is already settled'],
  invalid_transition: ['这笔付款已处理，无需再确认', 'This payment is already settled'],
  payment_declined: [
    '银行卡被拒绝，请换一种付款方式',
    'The card was declined; choose another way to pay',
  ],
  shipping_address_required: ['请填写收货地址', 'Please give a shipping address'],
  user_token_required: ['只能在手机上确认付款', 'Payments are confirmed on the phone only'],
  out_of_stock: ['库存不足', 'Not enough stock'],
  sold_out: ['已抢光', 'Sold out'],
  limit_exceeded: ['超过每人限购数量', 'Over the per-person limit'],
  deal_not_active: ['活动未开始或已结束', 'The deal is not running'],
  bill_already_paid: ['这张账单已缴清', 'This bill is already paid'],
  bill_not_payable: ['这张账单现在不能缴费', 'This bill cannot be paid now'],
  bill_payment_in_progress: ['这张账单正在缴费中', 'A payment for this bill is in progress'],
  provider_unavailable: ['该付款方式暂不可用', 'This way to pay is not available now'],
  access_denied: ['手机上拒绝了绑定', 'The pairing was declined on the phone'],
  expired_token: ['绑定码已过期，请重新获取', 'The pairing code expired; get a new one'],
  invalid_grant: ['绑定码已失效，请重新获取', 'The pairing code is no longer valid; get a new one'],
  device_revoked: ['这台电视已在手机上解除绑定', 'This TV was unpaired on the phone'],
}

export type Words = { zh: string; en: string }
export type Message = Words & { code: string }

export function messageFor(err: unknown): Message {
  if (err instanceof ApiProblem) {
    const known = TEXTS[err.code]
    if (known) return { zh: known[0], en: known[1], code: err.code }
    if (err.status >= 500)
      return {
        zh: '服务器出了点问题，请稍后重试',
        en: 'Something went wrong on our side; retry soon',
        code: err.code,
      }
    // The API writes its detail in the browser's language (Accept-Language, zh-CN by default).
    const detail = err.detail || err.code
    if (/\p{Script=Han}/u.test(detail))
      return { zh: detail, en: `Error: ${err.code}`, code: err.code }
    return { zh: '操作没有成功', en: detail, code: err.code }
  }
  return {
    zh: '出了点问题，请重试',
    en: 'Something went wrong; please retry',
    code: 'client_error',
  }
}

export function text(code: keyof typeof TEXTS): Message {
  const [zh, en] = TEXTS[code]
  return { zh, en, code }
}
