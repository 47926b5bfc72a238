/**
 * The emergency card (SPEC §4.6): the QR of the patient's lifetime emergency link (made by
 * the server, fetched with the token), a printable wallet card, and rotation of the link.
 */
import { Alert, Anchor, Button, Card, CopyButton, Group, Stack, Text } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { get, post } from '../api/client'
import type { EmergencyLink, Profile } from '../api/types'
import { AuthedImage } from '../components/AuthedImage'
import { formatDate, formatDateTime } from '../components/format'
import { Page } from '../components/Page'
import { ErrorState, QueryState } from '../components/states'

export default function EmergencyPage() {
  const qc = useQueryClient()
  const link = useQuery({ queryKey: ['emergency'], queryFn: () => get<EmergencyLink>('/patients/me/emergency') })
  const profile = useQuery({ queryKey: ['profile', 'me'], queryFn: () => get<Profile>('/patients/me/profile') })
  const rotate = useMutation({
    mutationFn: () => post<EmergencyLink>('/patients/me/emergency/rotate'),
    onSuccess: (l) => qc.setQueryData(['emergency'], l),
  })

  return (
    <Page title="Emergency card" actions={<Button variant="default" onClick={() => window.print()}>Print wallet card</Button>}>
      <Text size="sm">
        A first responder who scans this code sees your blood group, allergies, conditions, medications and emergency contacts, and your records of the last six months.
        You are emailed, and your contacts get an SMS, each time it is opened.
      </Text>
      <QueryState query={link}>
        {(l) => (
          <Stack gap="md">
            <div className="print-area">
              <div className="wallet-card" aria-label="Wallet card" data-testid="wallet-card">
                <AuthedImage path="/patients/me/emergency/qr.svg" alt="QR code of your emergency link" className="qr-img" version={l.token} />
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
    </Page>
  )
}
