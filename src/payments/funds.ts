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

export function fundsOf(
  payment: Payment,
  method = payment.method,
  providerRef = payment.providerRef,
): Funds {
  if (method === 'wallet') {
    return {
      source: accounts.walletAvailable(payment.userId),
      hold: accounts.walletHeld(payment.userId),
    }
  }
  if (!providerRef) throw new Error(`payment ${payment.id} has no funding source`)
  const { provider, ref } = splitProviderRef(providerRef)
  return {
    source: accounts.provider(provider),
    hold: accounts.providerAuthorized(provider),
    provider: { name: provider, ref },
  }
}

export function payeeAccount(payment: Payment): Account {
  const { payee } = payment
  return payee.kind === 'biller' ? accounts.biller(payee.billerId) : accounts.merchant()
}

export function holdTransfer(payment: Payment, funds: Funds): Transfer {
  return move(payment, 'hold', funds.source, funds.hold)
}

export function captureTransfer(payment: Payment, funds: Funds): Transfer {
  return move(payment, 'capture', funds.hold, payeeAccount(payment))
}

export function releaseTransfer(payment: Payment, funds: Funds): Transfer {
  return move(payment, 'release', funds.hold, funds.source)
}

type MoveKind = 'hold' | 'capture' | 'release'

function move(payment: Payment, kind: MoveKind, debit: Account, credit: Account): Transfer {
  return { kind, debit, credit, amount: payment.amount, dedupeKey: `${payment.id}:${kind}` }
}

/** Keyed by the amount refunded before: two refunds computed from the same state collide. */
export function refundTransfer(payment: Payment, funds: Funds, amount: number): Transfer {
  return {
    kind: 'refund',
    debit: payeeAccount(payment),
    credit: funds.source,
    amount,
    dedupeKey: `${payment.id}:refund:${payment.refundedAmount}`,
  }
}
