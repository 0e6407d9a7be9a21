// The payment PIN in one place: its rules, its hash, and the attempt-counted check of a payment.
import { ApiError, tryAgainIn } from '../http/errors'
import { hashSecret, pepperPin, verifySecret } from './hashing'

/** Six digits, and not one a thief tries first (repeated digits, straight runs). */
export function pinProblem(pin: string): string | null {
  if (!/^\d{6}$/.test(pin)) return 'PIN must be exactly 6 digits'
  if (/^(\d)\1{5}$/.test(pin)) return 'PIN must not repeat one digit'
  if ('0123456789'.includes(pin) || '9876543210'.includes(pin))
    return 'PIN must not be a run of digits'
  return null
}

/** What users.pin_hash stores: PBKDF2 of the PIN mixed with the PIN_PEPPER secret. */
export function hashPin(env: { PIN_PEPPER: string }, pin: string): Promise<string> {
  return hashSecret(pepperPin(pin, env.PIN_PEPPER))
}

/** True when `pin` matches the stored hash (checkPaymentPin adds the attempt counting). */
export function verifyPin(
  env: { PIN_PEPPER: string },
  pin: string,
  stored: string | null,
): Promise<boolean> {
  if (!stored) return Promise.resolve(false)
  return verifySecret(pepperPin(pin, env.PIN_PEPPER), stored)
}

export const PIN_MAX_ATTEMPTS = 5
export const PIN_LOCK_MS = 15 * 60 * 1000

/**
 * Verifies the payment PIN with attempts counted on users.pin_failed_attempts. An attempt is
 * reserved (counter + 1) in SQL before the slow hash is checked, so parallel guesses cannot get
 * more than five tries in; success resets the counter, the fifth failure locks for 15 minutes.
 * A lock that has run out resets the count with the next attempt. Attempts in flight count, so a
 * sixth parallel check waits (429) until one of them resolves.
 */
export async function checkPaymentPin(env: Env, userId: string, pin: string, now: number) {
  const reserved = await env.DB.prepare(
    `UPDATE users SET
       pin_failed_attempts =
         CASE WHEN pin_locked_until IS NOT NULL THEN 1 ELSE pin_failed_attempts + 1 END,
       pin_locked_until = NULL
     WHERE id = ? AND pin_hash IS NOT NULL
       AND (pin_locked_until IS NULL OR pin_locked_until <= ?)
       AND (pin_failed_attempts < ? OR pin_locked_until IS NOT NULL)
     RETURNING pin_failed_attempts AS attempts, pin_hash`,
  )
    .bind(userId, now, PIN_MAX_ATTEMPTS)
    .first<{ attempts: number; pin_hash: string }>()
  if (!reserved) throw await whyNoAttempt(env, userId, now)

  if (await verifyPin(env, pin, reserved.pin_hash)) {
    await env.DB.prepare(
      'UPDATE users SET pin_failed_attempts = 0, pin_locked_until = NULL WHERE id = ?',
    )
      .bind(userId)
      .run()
    return
  }
  if (reserved.attempts >= PIN_MAX_ATTEMPTS) {
    const until = now + PIN_LOCK_MS
    await env.DB.prepare(
      'UPDATE users SET pin_locked_until = ? WHERE id = ? AND pin_locked_until IS NULL',
    )
      .bind(until, userId)
      .run()
    throw locked(until, now)
  }
  throw new ApiError('invalid_pin', 'Wrong payment PIN', {
    attempts_remaining: PIN_MAX_ATTEMPTS - reserved.attempts,
  })
}

async function whyNoAttempt(env: Env, userId: string, now: number): Promise<ApiError> {
  const user = await env.DB.prepare('SELECT pin_hash, pin_locked_until FROM users WHERE id = ?')
    .bind(userId)
    .first<{ pin_hash: string | null; pin_locked_until: number | null }>()
  if (!user) return new ApiError('unauthorized', 'Sign in first')
  if (!user.pin_hash) {
    return new ApiError('pin_not_set', 'Set a payment PIN first (PUT /v1/me/payment-pin)')
  }
  const until = user.pin_locked_until
  if (until !== null && until > now) return locked(until, now)
  // All five attempts are being checked right now (parallel requests): not a lock, try again.
  const detail = 'Other PIN checks for this account are in progress; try again in a moment'
  return tryAgainIn(1, 'rate_limited', detail)
}

function locked(until: number, now: number): ApiError {
  return tryAgainIn(
    (until - now) / 1000,
    'pin_locked',
    'Too many wrong PINs: payments are locked for 15 minutes',
    { locked_until: new Date(until).toISOString() },
  )
}
