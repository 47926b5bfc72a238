/** Pending consultation requests and the patients who consented (SPEC §4.8). */
import { Anchor, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { Link } from 'react-router'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { useDoctorPatients } from './useDoctorPatients'
import { formatDate } from '../components/format'
import { Page } from '../components/Page'
import { QueryState } from '../components/states'
import { ConsultationList } from '../shared/ConsultationList'

export function DoctorHome() {
  const pending = useQuery({
    queryKey: queryKeys.consultationList({ status: 'pending', limit: 100 }),
    queryFn: () => unwrap(api.GET('/api/v1/consultations', { params: { query: { status: 'pending', limit: 100 } } })),
    refetchInterval: 30_000,
  })
  const patients = useDoctorPatients()
  return (
    <Page title="Requests and patients">
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Card withBorder component="section" aria-label="Pending requests">
          <Title order={3} size="h5" mb="xs">
            Pending requests
          </Title>
          <QueryState query={pending} isEmpty={(d) => d.items.length === 0} empty="No pending requests.">
            {(d) => <ConsultationList items={d.items} side="doctor" />}
          </QueryState>
        </Card>
        <Card withBorder component="section" aria-label="My patients">
          <Title order={3} size="h5" mb="xs">
            My patients
          </Title>
          <QueryState query={patients} isEmpty={(d) => d.items.length === 0} empty="No patients yet. Approved requests appear here.">
            {(d) => (
              <Stack gap="xs">
                {d.items.map((p) => (
                  <Group key={p.id} justify="space-between" wrap="nowrap" data-testid="patient-row">
                    <div style={{ minWidth: 0 }}>
                      <Anchor component={Link} to={`/doctor/patients/${p.id}`} fw={600}>
                        {p.fullName}
                      </Anchor>
                      <Text size="xs" c="dimmed">
                        {p.dateOfBirth ? `Born ${formatDate(p.dateOfBirth)} · ` : ''}since {formatDate(p.since)}
                      </Text>
                    </div>
                  </Group>
                ))}
              </Stack>
            )}
          </QueryState>
        </Card>
      </SimpleGrid>
    </Page>
  )
}
