/**
 * The front door of payments: everything other capabilities (and the app, the cron and the worker
 * entry) may use. Every other file in src/payments/ is private to the folder, but for
 * receipt-verify.ts (the standalone receipt verifier the TV app bundles): a test
 * (tests/architecture/imports.test.ts) fails when something outside imports one of them.
 * Functions that can move a payment take `purposes` (src/wiring.ts) as a parameter.
 */

// What a payment is, and what a purpose hands payments.
export type {
  CaptureMode,
  ConfirmInput,
  Payee,
  Payment,
  PaymentStatus,
  PurposeHandler,
  Purposes,
  PurposeType,
  ShippingAddress,
} from './purposes'

// Starting one: the statements go in the caller's own batch, with its own writes; once that batch
// committed, paymentStarted tells the household's phones.
export { isOpenPaymentConflict, newPaymentStatements, type NewPaymentInput } from './intents'
export { paymentStarted } from './notify'
// Many at once (a hot deal's group commit): rows fixed up front, one INSERT for all of them, so
// the same statement can be sent again after a lost answer and writes each row once.
export { insertPaymentsStatement, newPaymentRow } from './intents'

// Reading one (loadPayment and expireIfDue expire an unconfirmed payment past its time).
export { findOpenPayment, findPayment, toPayment, type PaymentRow } from './store'
export { expireIfDue, getPaymentView, loadPayment } from './intents'

// Moving one: idempotent, each in one batch with its ledger transfers and its purpose's writes.
export { capturePayment, releasePayment, type SettleResult } from './intents'
// Many at once (settlement's chunks): one read and one batch for all, each with its own guards.
export { capturePayments, releasePayments, type ManyOutcome } from './settle-many'
export { cancelPayment } from './cancel'
export { confirmPayment, type ConfirmRequest } from './confirm'
export { refundPayment, type RefundRail, type RefundRails } from './refunds'

// Showing one: the contract's JSON.
export { PaymentViewSchema, toPaymentView, type PaymentView } from './view'
export { ShippingAddressSchema } from './schemas'

// The cron, the wallet, the ledger's account names, and the Durable Object behind ?wait=N.
export { expireDuePayments, paymentsMaintenance } from './expiry'
// Voids and refunds the card gateway did not answer when first made, owed until it does.
export { retryCompensations } from './compensations'
export { accounts, walletBalance, type WalletBalance } from './ledger'
export { PaymentWaits } from './waits'

// Alipay face-to-face (the protocol is in src/alipay/): the TV's QR code, the notify, the cron's
// query/close, and refunds (the rail src/wiring.ts names).
export { startAlipay, type AlipayQr } from './alipay/start'
export { handleAlipayNotify } from './alipay/notify'
export { syncAlipayTrades } from './alipay/sync'
export { alipayRefundRail } from './alipay/refund'
