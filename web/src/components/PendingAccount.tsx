/**
 * What a pending doctor or pharmacist sees until an administrator verifies the account
 * (SPEC §3: clinical routes answer 403 `account-not-verified` until then). The page checks
 * the account's status itself — every 30 seconds while visible, and whenever the window
 * regains focus — so the section opens on its own once the account is verified.
 */
import { Alert, Anchor, Button, Group, List, Stack, Text, Title } from '@mantine/core'
import { lazy, useCallback, useEffect, useRef, useState } from 'react'
import { Link, Route, Routes } from 'react-router'
import { errorMessage } from '../api/client'
import { HOME_OF, useAuth, useUser } from '../auth'
import { formatDateTime } from './format'
import { Page } from './Page'
import { Shell } from './Shell'

const ChangePasswordPage = lazy(() => import('../shared/ChangePasswordPage'))
const POLL_MS = 30_000

/**
 * A pending account's section: the notice at every path (a deep link opens once the account
 * is verified) and the password page.
 */
export function PendingRoutes() {
  const user = useUser()
  return (
    <Routes>
      <Route element={<Shell nav={[{ to: HOME_OF[user.role], label: 'Verification', end: true }]} />}>
        <Route path="password" element={<ChangePasswordPage />} />
        <Route path="*" element={<PendingAccount />} />
      </Route>
    </Routes>
  )
}

export function PendingAccount() {
  const user = useUser()
  const { reloadUser } = useAuth()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [checkedAt, setCheckedAt] = useState<Date | null>(null)
  const inFlight = useRef(false)

  const check = useCallback(
    async (manual: boolean) => {
      if (inFlight.current) return
      inFlight.current = true
      if (manual) setBusy(true)
      try {
        // A verified account re-renders the section with its real pages; a disabled or
        // signed-out one goes to the sign-in page through the session listener.
        await reloadUser()
        setError(null)
        setCheckedAt(new Date())
      } catch (e: unknown) {
        if (manual) setError(errorMessage(e))
      } finally {
        inFlight.current = false
        if (manual) setBusy(false)
      }
    },
    [reloadUser],
  )

  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void check(false)
    }, POLL_MS)
    const onFocus = () => void check(false)
    const onVisible = () => document.visibilityState === 'visible' && void check(false)
    window.addEventListener('focus', onFocus)
    document.addEventListener('visibilitychange', onVisible)
    return () => {
      clearInterval(timer)
      window.removeEventListener('focus', onFocus)
      document.removeEventListener('visibilitychange', onVisible)
    }
  }, [check])

  const licence = user.doctor?.licenseNumber ?? user.pharmacist?.licenseNumber
  const work = user.role === 'pharmacist' ? 'look up, check and dispense prescriptions' : 'see your consenting patients, write notes and prescribe'

  return (
    <Page title="Waiting for verification">
      <Alert color="yellow" title="An administrator is checking your account" data-testid="pending-account">
        <Text size="sm">
          Every {user.role}'s licence number is checked before any patient data becomes available. Your account was created; it is not verified yet.
        </Text>
      </Alert>

      <Stack gap="xs" component="section" aria-labelledby="pending-next">
        <Title order={3} size="h4" id="pending-next">
          What happens next
        </Title>
        <List type="ordered" size="sm" spacing="xs">
          <List.Item>
            An administrator of this CareLocker server checks your licence number{licence ? <> (<strong>{licence}</strong>)</> : null}
            {user.pharmacist ? <> and pharmacy ({user.pharmacist.pharmacyName})</> : null} against the professional register.
          </List.Item>
          <List.Item>They verify your account. Nothing else is needed from you.</List.Item>
          <List.Item>
            Once verified you can {work}. This page checks by itself and opens your workspace as soon as that happens — you do not need to reload it.
          </List.Item>
        </List>
      </Stack>

      <Stack gap="xs" component="section" aria-labelledby="pending-meanwhile">
        <Title order={3} size="h4" id="pending-meanwhile">
          Meanwhile
        </Title>
        <Text size="sm">
          You can keep this page open, or sign out (top right) and come back later: sign in with the same email and password and you
          will land here, or in your workspace once verified. You can also{' '}
          <Anchor component={Link} to={`${HOME_OF[user.role]}/password`}>
            change your password
          </Anchor>
          .
        </Text>
      </Stack>

      <Stack gap="xs" component="section" aria-labelledby="pending-contact">
        <Title order={3} size="h4" id="pending-contact">
          Taking long?
        </Title>
        <Text size="sm">
          Contact the administrator of this CareLocker server — usually the practice, pharmacy or organisation that asked you to use it — and give them your
          name, the email you registered with ({user.email}) and your licence number. If the licence number above is wrong, tell them: they cannot verify
          a number that does not match the register.
        </Text>
      </Stack>

      {error && (
        <Alert color="red" role="alert" title="Could not check your account">
          {error}
        </Alert>
      )}
      <Group gap="sm">
        <Button size="sm" loading={busy} onClick={() => void check(true)}>
          Check again
        </Button>
        <Text size="xs" c="dimmed" role="status" aria-live="polite">
          {checkedAt ? `Still waiting — last checked ${formatDateTime(checkedAt.toISOString())}.` : 'Checked when you signed in.'}
        </Text>
      </Group>
    </Page>
  )
}
