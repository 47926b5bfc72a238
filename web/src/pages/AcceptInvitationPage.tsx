/**
 * The page an invitation email links to (`/caregiver-invitations/:token`, SPEC §10). Signed
 * out: sign in (or register) first, then come back here. Signed in: Accept, then go to the
 * patient's section with the new locker selected. Only patient accounts can be caregivers.
 * The token stays in this page's memory: it is sent once, in the accept request's path.
 */
import { Alert, Button, Card, Center, Group, Stack, Text, Title } from '@mantine/core'
import { useMutation } from '@tanstack/react-query'
import { Link, Navigate, useLocation, useNavigate, useParams } from 'react-router'
import { api, unwrap } from '../api/client'
import { errorMessage } from '../api/errors'
import { useAuth } from '../auth'
import { Loading } from '../components/states'

const LOCKER_STORAGE_KEY = 'carelocker.locker'

export default function AcceptInvitationPage() {
  const { token = '' } = useParams()
  const { user } = useAuth()
  const location = useLocation()
  const navigate = useNavigate()
  const accept = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/caregiver-invitations/{token}/accept', { params: { path: { token } }, body: {} })),
    onSuccess: () => {
      // Open the patient's section on one's own locker: the switcher lists the new one.
      sessionStorage.removeItem(LOCKER_STORAGE_KEY)
      navigate('/patient', { replace: true })
    },
  })
  if (user === undefined) return <Loading label="Signing you in…" />
  if (user === null) return <Navigate to="/login" replace state={{ from: location.pathname }} />
  return (
    <Center mih="100vh" p="md">
      <Card withBorder maw={480} w="100%" padding="lg">
        <Stack gap="md">
          <Title order={1} size="h3">
            Caregiver invitation
          </Title>
          <Text size="sm">
            Someone invited you to help with their health locker. Once you accept, you can switch to their locker from your own pages. They can revoke
            your access at any time.
          </Text>
          {user.role !== 'patient' && (
            <Alert color="yellow">Only a patient account can be a caregiver. Sign in with (or create) a patient account to accept.</Alert>
          )}
          {accept.isError && <Alert color="red">{errorMessage(accept.error)}</Alert>}
          <Group>
            <Button onClick={() => accept.mutate()} loading={accept.isPending} disabled={user.role !== 'patient'}>
              Accept
            </Button>
            <Button variant="default" component={Link} to="/">
              Not now
            </Button>
          </Group>
        </Stack>
      </Card>
    </Center>
  )
}
