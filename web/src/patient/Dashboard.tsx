/** The patient's overview: latest vitals, recent records, active prescriptions, pending requests. */
import { Alert, Anchor, Badge, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { Link } from 'react-router'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { formatDate, formatDateTime, humanize, STATUS_COLOR } from '../components/format'
import { Page } from '../components/Page'
import { QueryState } from '../components/states'
import { useUser } from '../auth'
import { formatVital, latestPerType, VITALS } from '../shared/vitals'
import { useLocker } from './locker'

function Panel({ title, to, linkLabel, children }: { title: string; to: string; linkLabel: string; children: ReactNode }) {
  return (
    <Card withBorder padding="md" component="section" aria-label={title}>
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h5">
          {title}
        </Title>
        <Anchor component={Link} to={to} size="sm">
          {linkLabel}
        </Anchor>
      </Group>
      {children}
    </Card>
  )
}

export function Dashboard() {
  const user = useUser()
  const { pid, isOwn } = useLocker()
  const profile = useQuery({ queryKey: queryKeys.profile(pid), queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/profile', { params: { path: { pid } } })) })
  const vitals = useQuery({
    queryKey: queryKeys.vitalList(pid, { limit: 100 }),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/vitals', { params: { path: { pid }, query: { limit: 100 } } })),
  })
  const records = useQuery({
    queryKey: queryKeys.recordList(pid, { limit: 5 }),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/records', { params: { path: { pid }, query: { limit: 5 } } })),
  })
  const prescriptions = useQuery({
    queryKey: queryKeys.prescriptionList({ pid, status: 'active', limit: 5 }),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/prescriptions', { params: { path: { pid }, query: { status: 'active', limit: 5 } } })),
  })
  const consultations = useQuery({
    queryKey: queryKeys.consultationList({ status: 'pending', limit: 5 }),
    queryFn: () => unwrap(api.GET('/api/v1/consultations', { params: { query: { status: 'pending', limit: 5 } } })),
    // One's own doctors: not part of another patient's locker.
    enabled: isOwn,
  })

  const incomplete = profile.data && (!profile.data.dateOfBirth || profile.data.emergencyContacts.length === 0)

  return (
    <Page title={`Hello, ${profile.data?.fullName ?? user.name}`}>
      {incomplete && (
        <Alert color="yellow" title="Complete your medical profile">
          Add your date of birth, allergies and an emergency contact so first responders and pharmacists see what matters.{' '}
          <Anchor component={Link} to="/patient/profile">
            Edit profile
          </Anchor>
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Panel title="Latest vitals" to="/patient/vitals" linkLabel="All vitals">
          <QueryState query={vitals} isEmpty={(d) => d.items.length === 0} empty="No vitals recorded yet.">
            {(d) => (
              <Stack gap={6}>
                {latestPerType(d.items).map((v) => (
                  <Group key={v.id} justify="space-between" wrap="nowrap">
                    <Text size="sm">{VITALS[v.type]?.label ?? v.type}</Text>
                    <Group gap={6} wrap="nowrap">
                      <Text size="sm" fw={600}>
                        {formatVital(v)}
                      </Text>
                      {v.flag !== 'normal' && (
                        <Badge size="xs" color={STATUS_COLOR[v.flag]}>
                          {v.flag}
                        </Badge>
                      )}
                    </Group>
                  </Group>
                ))}
              </Stack>
            )}
          </QueryState>
        </Panel>
        <Panel title="Recent records" to="/patient/records" linkLabel="All records">
          <QueryState query={records} isEmpty={(d) => d.items.length === 0} empty="No records yet — upload one or import your history.">
            {(d) => (
              <Stack gap={6}>
                {d.items.map((r) => (
                  <Group key={r.id} justify="space-between" wrap="nowrap">
                    <Text size="sm" truncate>
                      {r.title ?? r.fileName}
                    </Text>
                    <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                      {formatDate(r.recordDate)}
                    </Text>
                  </Group>
                ))}
              </Stack>
            )}
          </QueryState>
        </Panel>
        <Panel title="Active prescriptions" to="/patient/prescriptions" linkLabel="All prescriptions">
          <QueryState query={prescriptions} isEmpty={(d) => d.items.length === 0} empty="No active prescriptions.">
            {(d) => (
              <Stack gap={6}>
                {d.items.map((p) => (
                  <Group key={p.id} justify="space-between" wrap="nowrap">
                    <Text size="sm" truncate>
                      {p.items.map((i) => i.medicineName).join(', ')}
                    </Text>
                    <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                      until {formatDate(p.expiresAt)}
                    </Text>
                  </Group>
                ))}
              </Stack>
            )}
          </QueryState>
        </Panel>
        <Panel title="Pending consultation requests" to="/patient/consultations" linkLabel="Doctors">
          <QueryState query={consultations} isEmpty={(d) => d.items.length === 0} empty="No pending requests.">
            {(d) => (
              <Stack gap={6}>
                {d.items.map((c) => (
                  <Group key={c.id} justify="space-between" wrap="nowrap">
                    <Text size="sm" truncate>
                      {c.doctor.name} ({c.doctor.specialty})
                    </Text>
                    <Group gap={4} wrap="nowrap">
                      <Badge size="xs" color={STATUS_COLOR[c.status]}>
                        {humanize(c.status)}
                      </Badge>
                      <Text size="xs" c="dimmed" visibleFrom="xs">
                        {formatDateTime(c.createdAt)}
                      </Text>
                    </Group>
                  </Group>
                ))}
              </Stack>
            )}
          </QueryState>
        </Panel>
      </SimpleGrid>
    </Page>
  )
}
