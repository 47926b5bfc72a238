/**
 * The browser side of passkeys (SPEC §8), through `@simplewebauthn/browser`: asking the
 * authenticator, and saying in plain words why it did not answer.
 */
import { browserSupportsWebAuthn, WebAuthnError } from '@simplewebauthn/browser'
import { ApiError, errorMessage } from '../api/client'

export { startAuthentication, startRegistration } from '@simplewebauthn/browser'

/** Whether this browser can use passkeys at all (WebAuthn present; a secure context). */
export const supportsPasskeys = (): boolean => browserSupportsWebAuthn()

/**
 * A message for a failed passkey ceremony: the user cancelled or the prompt timed out, the
 * device already holds a passkey for this account, the page is not on the server's address,
 * the browser cannot do it — or the server's own problem detail.
 */
export function passkeyErrorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message
  const code = err instanceof WebAuthnError ? err.code : undefined
  const name = err instanceof Error ? err.name : ''
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') return 'This device already holds a passkey for your account.'
  if (name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') {
    return 'The passkey prompt was cancelled, timed out, or found no CareLocker passkey on this device.'
  }
  if (name === 'SecurityError' || code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID') {
    return 'Passkeys do not work at this address. Open CareLocker at the address your administrator gave you.'
  }
  if (!supportsPasskeys()) return 'This browser does not support passkeys.'
  return errorMessage(err)
}
