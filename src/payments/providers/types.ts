/**
 * Tokenized payment methods live behind one interface. Every call that moves money carries an
 * idempotency key the gateway keys its own book by, so a call retried after a timeout finds the
 * first result instead of charging twice.
 */
export type CardDetails = { brand: string; last4: string; expMonth: number; expYear: number }

export type ProviderOutcome =
  | { ok: true; ref: string }
  | { ok: false; reason: 'declined'; message: string }

export type ProviderStatus =
  | 'authorized'
  | 'captured'
  | 'voided'
  | 'refunded'
  | 'declined'
  | 'unknown'

export interface PaymentProvider {
  readonly name: string
  /** What card a token stands for (display details only), or null when the gateway lacks it. */
  describe(token: string): Promise<CardDetails | null>
  /** Reserves `amount` on the card. */
  authorize(input: {
    token: string
    amount: number
    idempotencyKey: string
  }): Promise<ProviderOutcome>
  /** Takes (part of) an authorization. */
  capture(input: { ref: string; amount: number; idempotencyKey: string }): Promise<ProviderOutcome>
  /** Gives an uncaptured authorization back. */
  void(input: { ref: string; idempotencyKey: string }): Promise<ProviderOutcome>
  /** Returns (part of) a captured amount to the card. */
  refund(input: { ref: string; amount: number; idempotencyKey: string }): Promise<ProviderOutcome>
  status(ref: string): Promise<ProviderStatus>
}

/** The gateway did not answer in time; the operation may or may not have happened. */
export class ProviderTimeout extends Error {}
