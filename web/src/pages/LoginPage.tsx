import { Alert, Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core'
import { useState, type FormEvent } from 'react'
import { Link, Navigate, useLocation, useNavigate } from 'react-router'
import { errorMessage, needsSecondFactor, signIn } from '../api/client'
import type { MfaChallenge } from '../api/types'
import { returnPath, useAuth } from '../auth'
import { AuthLayout } from './AuthLayout'
import { OidcSignInButton } from './OidcSignInButton'
import { PasskeySignInButton } from './PasskeySignInButton'
import { SecondFactorStep } from './SecondFactorStep'

/**
 * The second-factor step an OpenID Connect sign-in hands over (`/login#mfa=<token>&methods=…`,
 * a fragment: never sent to a server), read once and removed from the address bar.
 */
function challengeInFragment(): MfaChallenge | null {
  const params = new URLSearchParams(window.location.hash.slice(1))
  const mfaToken = params.get('mfa')
  if (!mfaToken) return null
  window.history.replaceState(null, '', window.location.pathname + window.location.search)
  const known = ['totp', 'recovery', 'passkey'] as const
  const methods = (params.get('methods') ?? '').split(',').filter((m): m is (typeof known)[number] => (known as readonly string[]).includes(m))
  return { mfaRequired: true, mfaToken, methods }
}

export function LoginPage() {
  const { user } = useAuth()
  const navigate = useNavigate()
  const location = useLocation()
  // Set by RequireRole: the page the user was on, and whether the session ended by itself.
  const state = location.state as { from?: unknown; ended?: unknown } | null
  const from = state?.from
  const ended = state?.ended === true
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  // Set when the password (or the OpenID Connect provider, `/login#mfa=…`) was right and the
  // account has a second factor (SPEC §8).
  const [challenge, setChallenge] = useState<MfaChallenge | null>(challengeInFragment)

  if (user) return <Navigate to={returnPath(from, user.role)} replace />

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const u = await signIn(email.trim(), password)
      if (needsSecondFactor(u)) {
        setChallenge(u)
        return
      }
      navigate(returnPath(from, u.role), { replace: true })
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  if (challenge) {
    return (
      <AuthLayout title="Two-factor sign-in">
        <SecondFactorStep
          challenge={challenge}
          onSignedIn={(u) => navigate(returnPath(from, u.role), { replace: true })}
          onRestart={(reason) => {
            setChallenge(null)
            setPassword('')
            setError(reason)
          }}
        >
          {challenge.methods.includes('passkey') && (
            <PasskeySignInButton onSignedIn={(u) => navigate(returnPath(from, u.role), { replace: true })} />
          )}
        </SecondFactorStep>
      </AuthLayout>
    )
  }

  return (
    <AuthLayout
      title="Sign in"
      footer={
        <>
          New here? <Anchor component={Link} to="/register">Create an account</Anchor>
        </>
      }
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          {ended && !error && (
            <Alert color="yellow" role="status" title="Your session ended, sign in again" data-testid="session-ended">
              You were signed out on this device: the password was changed, the session was ended from another device, or it expired. Sign in again to
              go back to the page you were on.
            </Alert>
          )}
          {error && (
            <Alert color="red" role="alert" title="Could not sign in">
              {error}
            </Alert>
          )}
          <TextInput label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          <PasswordInput label="Password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
          <Button type="submit" loading={busy} fullWidth>
            Sign in
          </Button>
          <OidcSignInButton />
          <PasskeySignInButton onSignedIn={(u) => navigate(returnPath(from, u.role), { replace: true })} />
          <Anchor component={Link} to="/reset-password" size="sm" ta="center">
            Forgot your password?
          </Anchor>
        </Stack>
      </form>
    </AuthLayout>
  )
}
