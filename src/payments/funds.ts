import { accounts, type Account, type Transfer } from './ledger'
import { splitProviderRef } from './providers'
import type { Payment } from './purposes'

/**
 * Where a confirmed payment's money sits. Wallet: available → held → payee. Card: the provider's
 * external account → its authorizations account → payee. Release and refund run the same path
 * backwards, so every confirmed payment moves through hold + capture (both in one batch when
 * capture is automatic).
 */
export type Funds = { source: Account; hold: Account; provider?: { name: string; ref: string } }

export function fundsOf(payment: Payment, method = payment.method, providerRef = payment.providerRef): Funds {
  if (method === 'wallet') {
    return { source: accounts.walletAvailable(payment.userId), hold: accounts.walletHeld(payment.userId) }
  }
  if (!providerRef) throw new Error(`payment ${payment.id} has no funding source`)
  const { provider, ref } = splitProviderRef(providerRef)
  return { source: accounts.provider(provider), hold: accounts.providerAuthorized(provider), provider: { name: provider, ref } }
}

export function payeeAccount(payment: Payment): Account {
  return payment.payee.kind === 'biller' ? accounts.biller(payment.payee.billerId) : accounts.merchant()
}

export function holdTransfer(payment: Payment, funds: Funds): Transfer {
  return { kind: 'hold', debit: funds.source, credit: funds.hold, amount: payment.amount, dedupeKey: `${payment.id}:hold` }
}

export function captureTransfer(payment: Payment, funds: Funds): Transfer {
  return { kind: 'capture', debit: funds.hold, credit: payeeAccount(payment), amount: payment.amount, dedupeKey: `${payment.id}:capture` }
}

export function releaseTransfer(payment: Payment, funds: Funds): Transfer {
  return { kind: 'release', debit: funds.hold, credit: funds.source, amount: payment.amount, dedupeKey: `${payment.id}:release` }
}

/** Keyed by how much was refunded before: two concurrent refunds computed from the same state collide. */
export function refundTransfer(payment: Payment, funds: Funds, amount: number): Transfer {
  return {
    kind: 'refund',
    debit: payeeAccount(payment),
    credit: funds.source,
    amount,
    dedupeKey: `${payment.id}:refund:${payment.refundedAmount}`,
  }
}
