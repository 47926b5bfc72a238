/**
 * The emergency card (SPEC §4.6): the QR of the patient's lifetime emergency link (made by
 * the server, fetched with the token), a printable wallet card, a preview of what the card
 * shows (the profile's `emergencyCard`, or the server's default), and rotation of the link.
 */
import { Alert, Anchor, Button, Card, CopyButton, Group, List, SimpleGrid, Stack, Text } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Link } from 'react-router'
import { api, ApiError, pathTo, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { Profile } from '../api/types'
import { AuthedImage } from '../components/AuthedImage'
import { formatDate, formatDateTime } from '../components/format'
import { Page } from '../components/Page'
import { ErrorState, QueryState } from '../components/states'

/** What a first responder sees (SPEC §4.6): every allergy; the chosen conditions and medications, else the server's default picks. */
function CardPreview({ profile }: { profile: Profile }) {
  const conditionIds = new Set(profile.emergencyCard.conditionIds ?? profile.emergencyCardDefault.conditionIds)
  const medicationIds = new Set(profile.emergencyCard.medicationIds ?? profile.emergencyCardDefault.medicationIds)
  const section = (title: string, items: string[], empty: string) => (
    <div>
      <Text size="sm" fw={600}>
        {title}
      </Text>
      {items.length ? (
        <List size="sm">
          {items.map((i, n) => (
            <List.Item key={n}>{i}</List.Item>
          ))}
        </List>
      ) : (
        <Text size="sm" c="dimmed">
          {empty}
        </Text>
      )}
    </div>
  )
  const chosen = profile.emergencyCard.conditionIds !== null || profile.emergencyCard.medicationIds !== null
  return (
    <Card withBorder data-testid="emergency-card-preview">
      <Stack gap="xs">
        <Text size="sm" fw={600}>
          What your emergency card shows
        </Text>
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          {section('Allergies', profile.allergies.map((a) => a.substance), 'None recorded')}
          {section('Conditions', profile.conditions.filter((c) => c.id && conditionIds.has(c.id)).map((c) => c.name), 'None shown')}
          {section('Medications', profile.medications.filter((m) => m.id && medicationIds.has(m.id)).map((m) => m.name), 'None shown')}
        </SimpleGrid>
        <Text size="xs" c="dimmed">
          {chosen ? 'The conditions and medications you chose.' : 'The default: active conditions and all medications, without findings or social history.'}{' '}
          <Anchor component={Link} to="/patient/profile" size="xs">
            Change what it shows
          </Anchor>
        </Text>
      </Stack>
    </Card>
  )
}

export default function EmergencyPage() {
  const qc = useQueryClient()
  const link = useQuery({ queryKey: queryKeys.emergency, queryFn: () => unwrap(api.GET('/api/v1/patients/me/emergency')) })
  const profile = useQuery({ queryKey: queryKeys.profile('me'), queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/profile', { params: { path: { pid: 'me' } } })) })
  const rotate = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/patients/me/emergency/rotate', { body: {} })),
    onSuccess: (l) => qc.setQueryData(queryKeys.emergency, l),
  })
  // After a master key rotation the server may no longer derive the link (SPEC §11): the printed
  // card still works, and the patient makes a new link to see and print it here.
  const underivable = link.isError && link.error instanceof ApiError && link.error.slug === 'emergency-link-underivable'

  return (
    <Page title="Emergency card" actions={<Button variant="default" onClick={() => window.print()}>Print wallet card</Button>}>
      <Text size="sm">
        A first responder who scans this code sees your blood group, allergies, conditions, medications and emergency contacts, and your records of the last six months.
        You are emailed, and your contacts get an SMS, each time it is opened.
      </Text>
      {underivable ? (
        <Alert color="orange" title="Your emergency link cannot be shown" role="alert" data-testid="emergency-underivable">
          <Stack gap="xs">
            <Text size="sm">{link.error.message}</Text>
            {rotate.isError && <ErrorState error={rotate.error} title="Could not make a new link" />}
            <Group>
              <Button color="orange" loading={rotate.isPending} onClick={() => rotate.mutate()}>
                Make a new link
              </Button>
            </Group>
          </Stack>
        </Alert>
      ) : (
        <QueryState query={link}>
          {(l) => (
            <Stack gap="md">
              <div className="print-area">
                <div className="wallet-card" aria-label="Wallet card" data-testid="wallet-card">
                  <AuthedImage url={pathTo('/api/v1/patients/me/emergency/qr.svg', {})} alt="QR code of your emergency link" className="qr-img" version={l.token} />
                  <div>
                    <h2>Medical emergency</h2>
                    <p>
                      <strong>{profile.data?.fullName ?? ''}</strong>
                      {profile.data?.dateOfBirth ? `, born ${formatDate(profile.data.dateOfBirth)}` : ''}
                    </p>
                    <p>Blood group: {profile.data?.bloodGroup ?? 'unknown'}</p>
                    <p>
                      Allergies:{' '}
                      {profile.data && profile.data.allergies.length > 0 ? profile.data.allergies.map((a) => a.substance).join(', ') : 'none recorded'}
                    </p>
                    {profile.data?.emergencyContacts[0] && (
                      <p>
                        Contact: {profile.data.emergencyContacts[0].name} {profile.data.emergencyContacts[0].phone}
                      </p>
                    )}
                    <p>Scan the code for my medical summary.</p>
                  </div>
                </div>
              </div>
              {profile.data && <CardPreview profile={profile.data} />}
              <Card withBorder>
                <Stack gap="xs">
                  <Text size="sm" fw={600}>
                    Your emergency link
                  </Text>
                  <Group gap="xs" wrap="nowrap">
                    <Anchor href={l.url} target="_blank" rel="noopener noreferrer" size="sm" style={{ wordBreak: 'break-all' }} data-testid="emergency-url">
                      {l.url}
                    </Anchor>
                    <CopyButton value={l.url}>
                      {({ copied, copy }) => (
                        <Button size="xs" variant="light" onClick={copy}>
                          {copied ? 'Copied' : 'Copy'}
                        </Button>
                      )}
                    </CopyButton>
                  </Group>
                  <Text size="xs" c="dimmed">
                    Created {formatDateTime(l.createdAt)}. It works until you replace it.
                  </Text>
                  {rotate.isError && <ErrorState error={rotate.error} title="Could not replace the link" />}
                  {rotate.isSuccess && (
                    <Alert color="teal" role="status">
                      New link created; the old code no longer works. Print your new card.
                    </Alert>
                  )}
                  <Group>
                    <Button
                      color="red"
                      variant="light"
                      loading={rotate.isPending}
                      onClick={() => {
                        if (window.confirm('Replace your emergency link? Printed cards with the old code stop working.')) rotate.mutate()
                      }}
                    >
                      Replace link (lost card)
                    </Button>
                  </Group>
                </Stack>
              </Card>
            </Stack>
          )}
        </QueryState>
      )}
    </Page>
  )
}
