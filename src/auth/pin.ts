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

/** For payment confirmation: true when `pin` matches the stored hash. */
export function verifyPin(
  env: { PIN_PEPPER: string },
  pin: string,
  stored: string | null,
): Promise<boolean> {
  if (!stored) return Promise.resolve(false)
  return verifySecret(pepperPin(pin, env.PIN_PEPPER), stored)
}
