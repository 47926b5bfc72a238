/**
 * "Sign in with a passkey" (SPEC §8): a passwordless sign-in with a discoverable credential —
 * the browser offers the passkeys it holds for this site, no email needed. Used by the
 * sign-in form and by the second-factor step (a passkey is a full sign-in on its own).
 * Shows its own error under the button; `onSignedIn` gets the user once the session is open.
 */
import { Alert, Button, Stack } from '@mantine/core'
import { useState } from 'react'
import { publicApi, signInWithPasskey, unwrap } from '../api/client'
import type { User } from '../api/types'
import { passkeyErrorMessage, startAuthentication, supportsPasskeys } from '../security/webauthn'

export function PasskeySignInButton({ onSignedIn, label = 'Sign in with a passkey' }: { onSignedIn: (user: User) => void; label?: string }) {
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  if (!supportsPasskeys()) return null

  const run = async () => {
    setBusy(true)
    setError(null)
    try {
      const optionsJSON = await unwrap(publicApi.POST('/api/v1/auth/passkeys/authentication/options', { body: {} }))
      const response = await startAuthentication({ optionsJSON })
      onSignedIn(await signInWithPasskey(response))
    } catch (err) {
      setError(passkeyErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Stack gap="xs">
      <Button variant="default" fullWidth loading={busy} onClick={() => void run()} data-testid="passkey-sign-in">
        {label}
      </Button>
      {error && (
        <Alert color="red" role="alert" title="Could not sign in with a passkey">
          {error}
        </Alert>
      )}
    </Stack>
  )
}
