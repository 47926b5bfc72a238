/**
 * The second step of signing in (SPEC §8): after a right password, an account with a second
 * factor proves it with a code of its authenticator app or a recovery code
 * (`POST /auth/login/mfa`). Other ways of proving it (a passkey) go beside the code form.
 */
import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core'
import { useState, type FormEvent, type ReactNode } from 'react'
import { ApiError, errorMessage, signInSecondFactor } from '../api/client'
import type { MfaChallenge, User } from '../api/types'

/** Why the step is over and the password must be entered again (`null`: the user went back). */
export type RestartReason = string | null

export function SecondFactorStep({
  challenge,
  onSignedIn,
  onRestart,
  children,
}: {
  challenge: MfaChallenge
  onSignedIn: (user: User) => void
  onRestart: (reason: RestartReason) => void
  /** More ways to finish (e.g. "Use a passkey"), shown under the code form. */
  children?: ReactNode
}) {
  const hasTotp = challenge.methods.includes('totp')
  const [recovery, setRecovery] = useState(!hasTotp && challenge.methods.includes('recovery'))
  const [code, setCode] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const showsCodeForm = hasTotp || challenge.methods.includes('recovery')

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const typed = code.trim()
    if (!recovery && !/^\d{6}$/.test(typed.replace(/\s/g, ''))) {
      setError('Enter the 6 digits your authenticator app shows.')
      return
    }
    if (recovery && typed.replace(/[\s-]/g, '').length < 10) {
      setError('Enter one of your recovery codes, e.g. abcd-efgh-jkmn-pqrs.')
      return
    }
    setBusy(true)
    setError(null)
    try {
      onSignedIn(await signInSecondFactor(challenge.mfaToken, recovery ? typed : typed.replace(/\s/g, '')))
    } catch (err) {
      if (err instanceof ApiError && err.slug === 'invalid-mfa-token') {
        onRestart('This sign-in step has ended (it lasts 5 minutes and allows 5 wrong codes). Sign in again with your password.')
        return
      }
      const left = err instanceof ApiError ? err.body.remainingAttempts : undefined
      if (err instanceof ApiError && err.slug === 'invalid-mfa-code' && left === 0) {
        onRestart('Too many wrong codes. Sign in again with your password.')
        return
      }
      setError(
        err instanceof ApiError && err.slug === 'invalid-mfa-code'
          ? `That code is wrong or was already used.${typeof left === 'number' ? ` ${left} ${left === 1 ? 'try' : 'tries'} left.` : ''}`
          : errorMessage(err),
      )
      setCode('')
    } finally {
      setBusy(false)
    }
  }

  return (
    <Stack data-testid="second-factor-step">
      <Text size="sm">Your account has two-factor sign-in turned on.</Text>
      {error && (
        <Alert color="red" role="alert" title="Could not sign in">
          {error}
        </Alert>
      )}
      {showsCodeForm && (
        <form onSubmit={submit} noValidate>
          <Stack>
            <TextInput
              key={recovery ? 'recovery' : 'totp'}
              label={recovery ? 'Recovery code' : 'Code from your authenticator app'}
              description={recovery ? 'Each recovery code works once.' : 'The 6 digits it shows for CareLocker.'}
              autoComplete="one-time-code"
              inputMode={recovery ? 'text' : 'numeric'}
              autoCapitalize="off"
              spellCheck={false}
              data-autofocus
              autoFocus
              required
              value={code}
              onChange={(e) => setCode(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy} fullWidth>
              Verify
            </Button>
            {hasTotp && challenge.methods.includes('recovery') && (
              <Anchor
                component="button"
                type="button"
                size="sm"
                ta="center"
                onClick={() => {
                  setRecovery((r) => !r)
                  setCode('')
                  setError(null)
                }}
              >
                {recovery ? 'Use the authenticator app' : 'Use a recovery code'}
              </Anchor>
            )}
          </Stack>
        </form>
      )}
      {children}
      <Anchor component="button" type="button" size="sm" ta="center" c="dimmed" onClick={() => onRestart(null)}>
        Back to email and password
      </Anchor>
    </Stack>
  )
}
