import type { ErrorCode } from './errors'

/**
 * What every error code says to people, in each language the API answers in: the problem's
 * `title` and its default `detail`. The page /docs/problems (built by scripts/build-web.mjs from
 * this table) is where each problem `type` URI points. zh-CN comes first: the TV is Chinese first.
 */
export const LANGUAGES = ['zh-CN', 'en'] as const
export type Language = (typeof LANGUAGES)[number]
export const DEFAULT_LANGUAGE: Language = 'zh-CN'

export type ErrorText = { title: string; detail: string }

export const ERROR_TEXT: Record<ErrorCode, Record<Language, ErrorText>> = {
  validation_failed: {
    'zh-CN': { title: '请求内容无效', detail: '请求中有字段不符合要求，见 errors。' },
    en: {
      title: 'Invalid request',
      detail: 'Some fields of the request are not valid; see errors.',
    },
  },
  malformed_json: {
    'zh-CN': { title: '请求格式错误', detail: '请求体不是有效的 JSON。' },
    en: { title: 'Malformed request', detail: 'The request body is not valid JSON.' },
  },
  invalid_cursor: {
    'zh-CN': { title: '分页游标无效', detail: 'cursor 无效或已过期，请从第一页重新读取。' },
    en: {
      title: 'Invalid cursor',
      detail: 'The cursor is invalid or stale; start from the first page.',
    },
  },
  bad_request: {
    'zh-CN': { title: '请求无效', detail: '服务器无法处理这个请求。' },
    en: { title: 'Bad request', detail: 'The server cannot process this request.' },
  },
  unauthorized: {
    'zh-CN': { title: '需要登录', detail: '请先登录，或先绑定这台设备。' },
    en: { title: 'Sign-in required', detail: 'Sign in or pair this device first.' },
  },
  invalid_token: {
    'zh-CN': { title: '登录已失效', detail: '登录凭证无效、已过期或已被撤销，请重新登录。' },
    en: {
      title: 'Invalid token',
      detail: 'The token is invalid, expired or revoked; sign in again.',
    },
  },
  forbidden: {
    'zh-CN': { title: '无权操作', detail: '当前账号不能执行这个操作。' },
    en: { title: 'Forbidden', detail: 'This account may not do this.' },
  },
  user_token_required: {
    'zh-CN': {
      title: '请在手机上操作',
      detail: '这个操作需要账号本人在手机上完成，电视不能代替。',
    },
    en: {
      title: 'Phone required',
      detail: 'This action needs the account owner on their phone, not a TV.',
    },
  },
  not_found: {
    'zh-CN': { title: '找不到', detail: '要找的内容不存在，或已过期、已被使用。' },
    en: { title: 'Not found', detail: 'No such thing here; it may have expired or been used.' },
  },
  method_not_allowed: {
    'zh-CN': { title: '不支持该请求方法', detail: '这个地址不接受该方法，见 Allow 响应头。' },
    en: { title: 'Method not allowed', detail: 'This path does not take this method; see Allow.' },
  },
  conflict: {
    'zh-CN': {
      title: '状态冲突',
      detail: '数据在此期间已变化，本次没有写入任何内容，请刷新后重试。',
    },
    en: {
      title: 'Conflict',
      detail: 'Something changed meanwhile; nothing was written. Read it again and retry.',
    },
  },
  payload_too_large: {
    'zh-CN': { title: '请求体过大', detail: '请求体超过了这个地址允许的大小。' },
    en: {
      title: 'Payload too large',
      detail: 'The request body is larger than this path accepts.',
    },
  },
  unsupported_media_type: {
    'zh-CN': { title: '不支持的内容类型', detail: '请求体请使用 application/json。' },
    en: { title: 'Unsupported media type', detail: 'Send the request body as application/json.' },
  },
  rate_limited: {
    'zh-CN': { title: '请求过于频繁', detail: '尝试次数太多，请按 Retry-After 等待后再试。' },
    en: {
      title: 'Too many requests',
      detail: 'Too many attempts; wait as Retry-After says, then retry.',
    },
  },
  internal_error: {
    'zh-CN': { title: '服务器内部错误', detail: '服务器出了点问题，请稍后重试。' },
    en: { title: 'Internal error', detail: 'Something went wrong on our side; retry soon.' },
  },
  admin_disabled: {
    'zh-CN': { title: '管理功能未开启', detail: '这个部署没有配置管理员令牌。' },
    en: { title: 'Admin disabled', detail: 'Admin access is not configured on this deployment.' },
  },
  service_misconfigured: {
    'zh-CN': { title: '服务配置不完整', detail: '服务尚未完全配置，请稍后再试。' },
    en: {
      title: 'Service misconfigured',
      detail: 'This service is not fully configured; try again later.',
    },
  },
  invalid_credentials: {
    'zh-CN': { title: '手机号或密码错误', detail: '手机号或密码不正确。' },
    en: { title: 'Invalid credentials', detail: 'Phone number or password is incorrect.' },
  },
  phone_taken: {
    'zh-CN': { title: '手机号已注册', detail: '这个手机号已经注册，请直接登录。' },
    en: { title: 'Phone taken', detail: 'An account with this phone number already exists.' },
  },
  invalid_password: {
    'zh-CN': { title: '账号密码错误', detail: '账号密码不正确。' },
    en: { title: 'Wrong password', detail: 'The account password is incorrect.' },
  },
  unknown_category: {
    'zh-CN': { title: '分类不存在', detail: '引用了不存在的分类，见 unknown_slugs。' },
    en: { title: 'Unknown category', detail: 'A category named here does not exist.' },
  },
  category_too_deep: {
    'zh-CN': { title: '分类层级过深', detail: '分类只有两级：一级分类和它的子分类。' },
    en: {
      title: 'Category too deep',
      detail: 'Categories are two levels deep: a root and its children.',
    },
  },
  idempotency_key_reuse: {
    'zh-CN': { title: '幂等键已被使用', detail: '这个 Idempotency-Key 已用于另一个不同的请求。' },
    en: {
      title: 'Idempotency key reused',
      detail: 'This Idempotency-Key was used with a different request body.',
    },
  },
  idempotency_in_progress: {
    'zh-CN': {
      title: '请求处理中',
      detail: '使用这个 Idempotency-Key 的请求仍在处理，请稍后重试。',
    },
    en: {
      title: 'Request in progress',
      detail: 'A request with this Idempotency-Key is still being processed; retry soon.',
    },
  },
  idempotency_key_invalid: {
    'zh-CN': { title: '幂等键无效', detail: 'Idempotency-Key 必须是 1-255 个可见 ASCII 字符。' },
    en: {
      title: 'Invalid idempotency key',
      detail: 'Idempotency-Key must be 1-255 visible ASCII characters.',
    },
  },
  card_number_not_allowed: {
    'zh-CN': { title: '不能包含银行卡号', detail: '这里的文字不能包含银行卡号。' },
    en: { title: 'Card number not allowed', detail: 'This text must not contain a card number.' },
  },
  insufficient_funds: {
    'zh-CN': { title: '余额不足', detail: '余额不足，请换一种付款方式。这笔付款仍可确认。' },
    en: {
      title: 'Insufficient funds',
      detail: 'Not enough balance; choose another way to pay. The payment stays confirmable.',
    },
  },
  invalid_pin: {
    'zh-CN': { title: '支付密码错误', detail: '支付密码不正确。' },
    en: { title: 'Wrong payment PIN', detail: 'The payment PIN is wrong.' },
  },
  pin_not_set: {
    'zh-CN': { title: '未设置支付密码', detail: '请先设置支付密码。' },
    en: { title: 'No payment PIN', detail: 'Set a payment PIN first.' },
  },
  pin_locked: {
    'zh-CN': { title: '支付已锁定', detail: '支付密码错误次数太多，支付已锁定 15 分钟。' },
    en: {
      title: 'Payments locked',
      detail: 'Too many wrong PINs: payments are locked for 15 minutes.',
    },
  },
  payment_not_confirmable: {
    'zh-CN': { title: '付款无法确认', detail: '这笔付款已处理或不再等待确认。' },
    en: {
      title: 'Payment not confirmable',
      detail: 'This payment is settled or no longer awaits confirmation.',
    },
  },
  payment_expired: {
    'zh-CN': { title: '付款已过期', detail: '这笔付款已过期，请在电视上重新下单。' },
    en: { title: 'Payment expired', detail: 'This payment has expired; start again on the TV.' },
  },
  invalid_transition: {
    'zh-CN': { title: '付款状态不允许此操作', detail: '这笔付款当前的状态不允许这个操作。' },
    en: {
      title: 'Invalid transition',
      detail: 'The payment is in a state that does not allow this.',
    },
  },
  payment_declined: {
    'zh-CN': { title: '付款被拒绝', detail: '付款被拒绝，请换一种付款方式。这笔付款仍可确认。' },
    en: {
      title: 'Payment declined',
      detail: 'The payment was declined; choose another way to pay. It stays confirmable.',
    },
  },
  provider_unavailable: {
    'zh-CN': { title: '付款方式不可用', detail: '这个付款方式在本服务器上暂不可用。' },
    en: {
      title: 'Provider unavailable',
      detail: 'This way to pay is not available on this server.',
    },
  },
  provider_error: {
    'zh-CN': { title: '支付渠道出错', detail: '支付渠道暂时无法处理，请稍后重试或在手机上确认。' },
    en: {
      title: 'Provider error',
      detail: 'The payment provider is down or refusing; retry later or confirm on the phone.',
    },
  },
  provider_unsupported: {
    'zh-CN': { title: '付款方式不支持', detail: '这笔付款不支持该付款方式。' },
    en: { title: 'Provider unsupported', detail: 'This payment cannot use this way to pay.' },
  },
  refund_exceeds_amount: {
    'zh-CN': { title: '退款金额超出', detail: '退款总额不能超过付款金额。' },
    en: {
      title: 'Refund exceeds amount',
      detail: 'Refunds may not add up to more than the payment.',
    },
  },
  shipping_address_required: {
    'zh-CN': { title: '需要收货地址', detail: '确认订单付款时请填写收货地址。' },
    en: {
      title: 'Shipping address required',
      detail: 'An order needs a shipping address when it is confirmed.',
    },
  },
  out_of_stock: {
    'zh-CN': { title: '库存不足', detail: '商品库存不足。' },
    en: { title: 'Out of stock', detail: 'Not enough of this product is left.' },
  },
  sold_out: {
    'zh-CN': { title: '已抢光', detail: '这个活动已抢光。' },
    en: { title: 'Sold out', detail: 'This deal is sold out.' },
  },
  limit_exceeded: {
    'zh-CN': { title: '超过数量上限', detail: '超过了允许的数量上限。' },
    en: { title: 'Limit exceeded', detail: 'This is more than the limit allows.' },
  },
  deal_not_active: {
    'zh-CN': { title: '活动未进行', detail: '活动尚未开始或已经结束。' },
    en: { title: 'Deal not active', detail: 'The deal has not started or has ended.' },
  },
  team_full: {
    'zh-CN': { title: '团已满', detail: '这个团已满员，请开一个新团。' },
    en: { title: 'Team full', detail: 'This team is full; open a new team.' },
  },
  team_closed: {
    'zh-CN': { title: '团已关闭', detail: '这个团不再接受成员，请开一个新团。' },
    en: { title: 'Team closed', detail: 'This team is no longer taking members; open a new team.' },
  },
  already_in_team: {
    'zh-CN': { title: '已在团中', detail: '您已经在这个团里了。' },
    en: { title: 'Already in team', detail: 'You already have a place in this team.' },
  },
  deal_unavailable: {
    'zh-CN': {
      title: '活动暂不可用',
      detail: '活动暂时无法处理这个请求，请用同一个 Idempotency-Key 重试。',
    },
    en: {
      title: 'Deal unavailable',
      detail: 'The deal cannot take this request just now; retry with the same Idempotency-Key.',
    },
  },
  invalid_account_number: {
    'zh-CN': { title: '户号格式不对', detail: '户号不符合该缴费单位的格式。' },
    en: {
      title: 'Invalid account number',
      detail: "The account number does not match the biller's format.",
    },
  },
  bill_already_paid: {
    'zh-CN': { title: '账单已缴清', detail: '这张账单已经缴清。' },
    en: { title: 'Bill already paid', detail: 'This bill is already paid.' },
  },
  amount_not_allowed: {
    'zh-CN': { title: '缴费金额不允许', detail: '该缴费单位不接受这个金额，见 amount_remaining。' },
    en: {
      title: 'Amount not allowed',
      detail: 'The biller does not accept this amount; see amount_remaining.',
    },
  },
  bill_not_payable: {
    'zh-CN': { title: '账单不能缴费', detail: '这张账单现在不能缴费。' },
    en: { title: 'Bill not payable', detail: 'This bill cannot be paid now.' },
  },
  invalid_signature: {
    'zh-CN': { title: '签名无效', detail: '签名与缴费单位和请求内容不符。' },
    en: {
      title: 'Invalid signature',
      detail: 'The signature does not match this biller and payload.',
    },
  },
  unsafe_pattern: {
    'zh-CN': { title: '户号规则不安全', detail: 'account_pattern 不被接受。' },
    en: { title: 'Unsafe pattern', detail: 'The account_pattern is not accepted.' },
  },
  signature_expired: {
    'zh-CN': { title: '签名已过期', detail: '签名时间与当前时间相差太多。' },
    en: { title: 'Signature expired', detail: 'The signature timestamp is too far from now.' },
  },
  signature_replayed: {
    'zh-CN': { title: '签名重复', detail: '这个签名请求已收到过，请为每个请求重新签名。' },
    en: {
      title: 'Signature replayed',
      detail: 'This signed request was already received; sign each request anew.',
    },
  },
  bill_changed: {
    'zh-CN': { title: '账单已变化', detail: '开始付款后账单发生了变化，请取消后重新开始。' },
    en: {
      title: 'Bill changed',
      detail: 'The bill changed after this payment was started; cancel it and start again.',
    },
  },
  bill_payment_in_progress: {
    'zh-CN': { title: '账单正在缴费', detail: '家里另一位成员正在缴这张账单。' },
    en: {
      title: 'Bill payment in progress',
      detail: 'Another member of your household is paying this bill right now.',
    },
  },
  account_already_linked: {
    'zh-CN': { title: '户号已添加', detail: '您已经添加过这个户号。' },
    en: {
      title: 'Account already linked',
      detail: 'You have already linked this account number.',
    },
  },
  unknown_biller: {
    'zh-CN': { title: '缴费单位不存在', detail: '没有这个缴费单位。' },
    en: { title: 'Unknown biller', detail: 'No biller has this id.' },
  },
  invalid_ticket: {
    'zh-CN': { title: '连接凭证无效', detail: '连接凭证未知、已使用或已过期，请重新获取。' },
    en: {
      title: 'Invalid ticket',
      detail: 'The ticket is unknown, used or expired; get a new one.',
    },
  },
  upgrade_required: {
    'zh-CN': { title: '需要 WebSocket', detail: '请以 WebSocket 方式打开这个地址。' },
    en: { title: 'Upgrade required', detail: 'Open this URL as a WebSocket.' },
  },
}

/**
 * A zh-CN detail more precise than the table's, from the members the problem carries (the English
 * detail is written where the error is thrown and is precise already).
 */
export function specificDetail(
  code: ErrorCode,
  language: Language,
  extra: Record<string, unknown>,
): string | undefined {
  if (language !== 'zh-CN') return undefined
  const n = (key: string) => (typeof extra[key] === 'number' ? (extra[key] as number) : undefined)
  switch (code) {
    case 'out_of_stock': {
      const available = n('available')
      return available === undefined ? undefined : `库存不足：仅剩 ${available} 件。`
    }
    case 'sold_out': {
      const left = n('stock_remaining')
      return left ? `库存不足：这个活动仅剩 ${left} 件。` : undefined
    }
    case 'limit_exceeded': {
      const max = n('max_per_user')
      return max === undefined ? undefined : `这个活动每人最多 ${max} 件。`
    }
    case 'invalid_pin': {
      const left = n('attempts_remaining')
      return left === undefined ? undefined : `支付密码不正确，还可以再试 ${left} 次。`
    }
    case 'rate_limited': {
      const seconds = n('retry_after')
      return seconds === undefined ? undefined : `尝试次数太多，请 ${seconds} 秒后再试。`
    }
    default:
      return undefined
  }
}

/**
 * zh-CN for the custom messages our schemas and checks write in English (zod's own messages are
 * translated by its zh-CN locale, see validation.ts).
 */
export const FIELD_MESSAGES_ZH: Record<string, string> = {
  'Password must be at least 8 characters': '密码至少 8 个字符',
  'PIN must be exactly 6 digits': '支付密码必须是 6 位数字',
  'Phone must be E.164 (+8613800138000) or an 11-digit mainland number':
    '手机号须为 E.164 格式（+8613800138000）或 11 位大陆手机号',
  'A code is 8 letters as shown on the TV, like BCDF-GHJK':
    '绑定码是电视上显示的 8 个字母，如 BCDF-GHJK',
  'must not contain a card number': '不能包含银行卡号',
  'must be more than zero': '必须大于零',
  'nothing to update': '没有要修改的内容',
  'with mode=t9, q is keypad digits 0-9': 'mode=t9 时，q 必须是数字键 0-9',
  'a provider token such as tok_visa': '应为支付渠道令牌，如 tok_visa',
  'a device id (dev_…)': '应为设备 id（dev_…）',
  'lower-case letters, digits and dashes, 1-63 long': '小写字母、数字和连字符，1-63 个字符',
  'must be 1-64 of A-Z a-z 0-9 . _ : / -': '须为 1-64 个 A-Z a-z 0-9 . _ : / - 字符',
  Required: '必填',
}
