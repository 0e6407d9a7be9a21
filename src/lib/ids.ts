import { typeidUnboxed } from 'typeid-js'

/** Every id prefix in one place: ids are opaque, sortable (UUIDv7 inside) and typed by prefix. */
export const ID_PREFIX = {
  category: 'cat',
  product: 'prod',
  user: 'usr',
  device: 'dev',
  refreshToken: 'rt',
  deviceAuthorization: 'da',
  order: 'ord',
  payment: 'pay',
  paymentMethod: 'pm',
  transfer: 'tr',
  deal: 'deal',
  participation: 'part',
  team: 'team',
  biller: 'blr',
  billerAccount: 'ba',
  bill: 'bill',
  notification: 'ntf',
  reminder: 'rem',
  feedSecret: 'fsec',
} as const

export type IdKind = keyof typeof ID_PREFIX

export function newId(kind: IdKind): string {
  // The string form directly: the boxed TypeID splits the string back into an object per id.
  return typeidUnboxed(ID_PREFIX[kind])
}

export function hasPrefix(id: string, kind: IdKind): boolean {
  return id.startsWith(`${ID_PREFIX[kind]}_`)
}
