/**
 * The banner of a signed-in account whose email is not verified yet (SPEC §8): until it
 * is, CareLocker emails nothing else to it. "Resend" asks for a new link
 * (`POST /auth/email/resend`); dismissing hides it for this tab's session.
 */
import { Alert, Button, Group, Text } from '@mantine/core'
import { useState } from 'react'
import { ApiError, api, unwrap } from '../api/client'
import { useAuth } from '../auth'

const dismissedKey = (userId: string) => `cl-verify-banner-dismissed:${userId}`

export function VerifyEmailBanner() {
  const { user, reloadUser } = useAuth()
  const [dismissed, setDismissed] = useState(() => (user ? sessionStorage.getItem(dismissedKey(user.id)) === '1' : false))
  const [state, setState] = useState<{ kind: 'idle' | 'sending' | 'sent' } | { kind: 'error'; message: string }>({ kind: 'idle' })
  if (!user || user.emailVerified || dismissed) return null

  const resend = async () => {
    setState({ kind: 'sending' })
    try {
      await unwrap(api.POST('/api/v1/auth/email/resend', { body: {} }))
      setState({ kind: 'sent' })
    } catch (err) {
      if (err instanceof ApiError && err.slug === 'email-already-verified') {
        await reloadUser().catch(() => undefined)
        return
      }
      setState({ kind: 'error', message: err instanceof ApiError && err.status === 429 ? 'Too many emails asked for. Try again in an hour.' : 'Could not send the email. Try again.' })
    }
  }
  const dismiss = () => {
    sessionStorage.setItem(dismissedKey(user.id), '1')
    setDismissed(true)
  }

  return (
    <Alert color="yellow" mb="md" withCloseButton closeButtonLabel="Dismiss" onClose={dismiss} data-testid="verify-email-banner" title="Check your inbox">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
          {state.kind === 'sent'
            ? `A new link is on its way to ${user.email}.`
            : `We sent a link to ${user.email} to confirm it is yours. Until you open it, CareLocker sends no other email there.`}
          {state.kind === 'error' && ` ${state.message}`}
        </Text>
        <Button size="xs" variant="default" onClick={() => void resend()} loading={state.kind === 'sending'} disabled={state.kind === 'sent'}>
          Resend
        </Button>
      </Group>
    </Alert>
  )
}
