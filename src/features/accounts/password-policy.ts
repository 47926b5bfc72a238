/**
 * The password policy (SPEC §4.1; OWASP ASVS 4.0 2.1.1, 2.1.2 and 2.1.7; NIST SP 800-63B
 * §5.1.1.2): 10–128 characters, not a common or breached password, not the account's email.
 *
 * The list is the `passwords-common` dictionary of the maintained `@zxcvbn-ts/language-common`
 * package (49,233 passwords ranked from breach corpora), not one of our own. A password is
 * compared without case (NFKC, lower case), as typed and with its spaces removed, so
 * `Password 12` is refused like `password12`. It may be neither the email nor contain the
 * email's local part when that has at least 4 characters (`maria.lopez@…` refuses
 * `maria.lopez2024`); shorter local parts would refuse innocent passphrases.
 *
 * Length is also checked by the request schemas (`Password` in accounts.schema.ts, a 400
 * `validation-error`); the list and the email give the 400 `password-too-common`.
 */
import { dictionary } from '@zxcvbn-ts/language-common'
import { ValidationError } from '../../app/errors.js'

export const PASSWORD_MIN_LENGTH = 10
export const PASSWORD_MAX_LENGTH = 128
/** Local parts shorter than this are not looked for inside a password. */
const MIN_LOCAL_PART = 4

let common: Set<string> | undefined
/** The list, built on first use (a few tens of milliseconds), then kept. */
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map(normalize))
  return common
}

const normalize = (s: string) => s.normalize('NFKC').toLowerCase()

/** Number of passwords on the list (≥ 10,000, SPEC §4.1). */
export const commonPasswordCount = (): number => commonPasswords().size

export type PasswordRefusal = { code: 'password-too-short' | 'password-too-long' | 'password-too-common'; message: string }

/**
 * Why `password` is refused for the account of `email`, or undefined when it is allowed.
 * Pure apart from building the list once.
 */
export function checkPassword(password: string, email: string | undefined): PasswordRefusal | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return { code: 'password-too-short', message: `Use at least ${PASSWORD_MIN_LENGTH} characters.` }
  if (password.length > PASSWORD_MAX_LENGTH) return { code: 'password-too-long', message: `Use at most ${PASSWORD_MAX_LENGTH} characters.` }
  const typed = normalize(password)
  const list = commonPasswords()
  if (list.has(typed) || list.has(typed.replace(/\s+/g, ''))) {
    return { code: 'password-too-common', message: 'This password is too common: it is on a list of passwords attackers try first. Choose another, such as a few unrelated words.' }
  }
  if (email) {
    const address = normalize(email.trim())
    const local = address.split('@')[0] ?? ''
    if (typed.includes(address) || (local.length >= MIN_LOCAL_PART && typed.includes(local))) {
      return { code: 'password-too-common', message: 'The password must not be or contain your email address.' }
    }
  }
  return undefined
}

/**
 * Throws a 400 ValidationError when `password` breaks the policy: code `password-too-common`
 * for the list or the email, `validation-error` for its length; `pointer` names the field
 * (`/password`, `/newPassword`).
 */
export function assertPasswordAllowed(password: string, email: string | undefined, pointer: string): void {
  const refusal = checkPassword(password, email)
  if (!refusal) return
  throw new ValidationError(
    refusal.message,
    [{ path: pointer, message: refusal.message }],
    refusal.code === 'password-too-common' ? 'password-too-common' : 'validation-error',
  )
}
