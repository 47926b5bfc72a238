/** Doctors and pharmacists wait for an administrator before any clinical page loads (SPEC §3). */
import { Alert, Button, Stack, Text } from '@mantine/core'
import { useState } from 'react'
import { errorMessage } from '../api/client'
import { useAuth, useUser } from '../auth'
import { Page } from './Page'

export function PendingAccount() {
  const user = useUser()
  const { reloadUser } = useAuth()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  return (
    <Page title="Waiting for verification">
      <Alert color="yellow" title="Your account is being checked" data-testid="pending-account">
        <Stack gap="xs">
          <Text size="sm">
            An administrator verifies every {user.role}'s licence ({user.doctor?.licenseNumber ?? user.pharmacist?.licenseNumber ?? '—'}) before patient data becomes
            available. You can stay signed in; check again in a while.
          </Text>
          {error && (
            <Text size="sm" c="red">
              {error}
            </Text>
          )}
          <div>
            <Button
              size="xs"
              loading={busy}
              onClick={() => {
                setBusy(true)
                setError(null)
                reloadUser()
                  .catch((e: unknown) => setError(errorMessage(e)))
                  .finally(() => setBusy(false))
              }}
            >
              Check again
            </Button>
          </div>
        </Stack>
      </Alert>
    </Page>
  )
}
