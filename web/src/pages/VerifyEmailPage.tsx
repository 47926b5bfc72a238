/**
 * `/verify-email#<token>` (SPEC §8): the page the verification email links to. Reads the
 * token from the URL fragment (never sent to a server in a request line), posts it once,
 * and says what happened. Works signed in or not: the link may open in another browser.
 */
import { Alert, Anchor, Button, Stack, Text } from '@mantine/core'
import { useEffect, useRef, useState } from 'react'
import { Link } from 'react-router'
import { ApiError, publicApi, unwrap } from '../api/client'
import { HOME_OF, useAuth } from '../auth'
import { Loading } from '../components/states'
import { AuthLayout } from './AuthLayout'

type Outcome = { kind: 'verifying' } | { kind: 'verified'; email: string } | { kind: 'failed'; message: string }

/** What each refusal of `POST /auth/email/verify` means to the person holding the link. */
const FAILURES: Record<string, string> = {
  'verification-link-used': 'This link was already used. If your address is verified, there is nothing more to do.',
  'verification-link-expired': 'This link has expired. Sign in and ask for a new one from the banner at the top of the page.',
  'verification-link-outdated': 'This link was sent to an address your account no longer has.',
  'invalid-verification-link': 'This link is not valid. Open the latest email we sent, or sign in and ask for a new one.',
}

export default function VerifyEmailPage() {
  const { user, reloadUser } = useAuth()
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'verifying' })
  const sent = useRef(false)

  useEffect(() => {
    if (sent.current) return
    sent.current = true
    const token = window.location.hash.replace(/^#/, '')
    // The token is spent: keep it out of the history and of anything that reads the URL later.
    window.history.replaceState(null, '', window.location.pathname)
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) {
      setOutcome({ kind: 'failed', message: FAILURES['invalid-verification-link']! })
      return
    }
    unwrap(publicApi.POST('/api/v1/auth/email/verify', { body: { token } }))
      .then(({ user: verified }) => setOutcome({ kind: 'verified', email: verified.email }))
      .catch((err: unknown) => {
        const message = err instanceof ApiError ? (FAILURES[err.slug] ?? err.message) : 'Could not reach CareLocker. Try the link again.'
        setOutcome({ kind: 'failed', message })
      })
  }, [])

  // A signed-in tab learns the news once (the banner goes away).
  const reloaded = useRef(false)
  const signedIn = user != null
  useEffect(() => {
    if (outcome.kind !== 'verified' || !signedIn || reloaded.current) return
    reloaded.current = true
    void reloadUser().catch(() => undefined)
  }, [outcome.kind, signedIn, reloadUser])

  const next = user ? (
    <Button component={Link} to={HOME_OF[user.role]}>
      Continue to CareLocker
    </Button>
  ) : (
    <Button component={Link} to="/login">
      Sign in
    </Button>
  )

  return (
    <AuthLayout title="Verify your email address" footer={<Anchor component={Link} to="/">CareLocker home</Anchor>}>
      <Stack>
        {outcome.kind === 'verifying' && <Loading label="Checking your link…" />}
        {outcome.kind === 'verified' && (
          <Alert color="teal" role="status" data-testid="email-verified">
            Your email address {outcome.email} is verified. Thank you!
          </Alert>
        )}
        {outcome.kind === 'failed' && (
          <Alert color="red" role="alert" data-testid="email-verify-failed">
            {outcome.message}
          </Alert>
        )}
        {outcome.kind !== 'verifying' && (
          <>
            <Text size="sm" c="dimmed">
              {user ? `Signed in as ${user.email}.` : 'You can close this page or sign in.'}
            </Text>
            {next}
          </>
        )}
      </Stack>
    </AuthLayout>
  )
}
