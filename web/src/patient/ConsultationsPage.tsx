/**
 * Care team (SPEC §4.8): find a verified doctor, ask for a consultation (the doctor then
 * sees your data while it is approved), and end it — access stops at once.
 */
import { Alert, Button, Card, Group, Modal, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core'
import { useDebouncedValue } from '@mantine/hooks'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, ApiError, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { Consultation, Doctor } from '../api/types'
import { formErrorOf } from '../components/forms'
import { formatDateTime } from '../components/format'
import { Page } from '../components/Page'
import { QueryState } from '../components/states'
import { ConsultationList } from '../shared/ConsultationList'
import { OrganizationSelect } from '../shared/OrganizationSelect'

function FindDoctor({ open }: { open: Consultation[] }) {
  const qc = useQueryClient()
  const [q, setQ] = useState('')
  const [specialty, setSpecialty] = useState('')
  const [dq] = useDebouncedValue(q.trim(), 300)
  const [ds] = useDebouncedValue(specialty.trim(), 300)
  const [organizationId, setOrganizationId] = useState<string | null>(null)
  const [asking, setAsking] = useState<Doctor | null>(null)
  const [reason, setReason] = useState('')
  const doctors = useQuery({
    queryKey: queryKeys.doctors({ q: dq, specialty: ds, organizationId }),
    queryFn: () => unwrap(api.GET('/api/v1/doctors', { params: { query: { q: dq || undefined, specialty: ds || undefined, organizationId: organizationId ?? undefined, limit: 20 } } })),
  })
  const request = useMutation({
    mutationFn: (body: { doctorId: string; reason?: string }) => unwrap(api.POST('/api/v1/consultations', { body })),
    onSuccess: () => {
      setAsking(null)
      setReason('')
      void qc.invalidateQueries({ queryKey: queryKeys.consultations })
    },
  })
  const openWith = new Set(open.filter((c) => c.status === 'pending' || c.status === 'approved').map((c) => c.doctor.id))

  return (
    <Card withBorder component="section" aria-label="Find a doctor">
      <Title order={3} size="h5" mb="xs">
        Find a doctor
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs" mb="sm">
        <TextInput label="Name" type="search" value={q} onChange={(e) => setQ(e.currentTarget.value)} />
        <TextInput label="Specialty" type="search" value={specialty} onChange={(e) => setSpecialty(e.currentTarget.value)} />
        <OrganizationSelect label="Organization" value={organizationId} onChange={setOrganizationId} />
      </SimpleGrid>
      <QueryState query={doctors} isEmpty={(d) => d.items.length === 0} empty="No verified doctor matches.">
        {(d) => (
          <Stack gap="xs">
            {d.items.map((doc) => (
              <Group key={doc.id} justify="space-between" wrap="nowrap" data-testid="doctor-row">
                <div style={{ minWidth: 0 }}>
                  <Text fw={600} truncate>
                    {doc.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {doc.specialty}
                    {doc.organization ? ` · ${doc.organization.name}` : ''}
                  </Text>
                </div>
                <Button size="xs" variant="light" disabled={openWith.has(doc.id)} onClick={() => setAsking(doc)} aria-label={`Request a consultation with ${doc.name}`}>
                  {openWith.has(doc.id) ? 'Requested' : 'Request'}
                </Button>
              </Group>
            ))}
          </Stack>
        )}
      </QueryState>
      <Modal opened={asking !== null} onClose={() => setAsking(null)} title={`Consultation with ${asking?.name ?? ''}`}>
        <Stack>
          <Text size="sm">
            Once {asking?.name} approves, they can read your profile, records and vitals, add records and vitals, and write prescriptions — until either of you ends the consultation.
          </Text>
          <Textarea label="Reason (optional)" maxLength={1000} autosize minRows={2} value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
          {request.isError && (
            <Alert color="red" role="alert">
              {request.error instanceof ApiError && request.error.status === 409 ? 'You already have an open request with this doctor.' : formErrorOf(request.error)}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setAsking(null)}>
              Cancel
            </Button>
            <Button loading={request.isPending} onClick={() => asking && request.mutate({ doctorId: asking.id, ...(reason.trim() ? { reason: reason.trim() } : {}) })}>
              Send request
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  )
}

/** Notes your doctors chose to share with you (SPEC §3: doctor notes "those shared with the patient"). */
function SharedNotes() {
  const notes = useQuery({
    queryKey: queryKeys.notes('me'),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/notes', { params: { path: { pid: 'me' }, query: { limit: 50 } } })),
  })
  return (
    <Card withBorder component="section" aria-label="Notes from your doctors">
      <Title order={3} size="h5" mb="xs">
        Notes from your doctors
      </Title>
      <QueryState query={notes} isEmpty={(d) => d.items.length === 0} empty="No notes shared with you.">
        {(d) => (
          <Stack gap="xs">
            {d.items.map((n) => (
              <div key={n.id}>
                <Text size="xs" c="dimmed">
                  {n.author.name} · {formatDateTime(n.createdAt)}
                </Text>
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                  {n.body}
                </Text>
              </div>
            ))}
          </Stack>
        )}
      </QueryState>
    </Card>
  )
}

export default function ConsultationsPage() {
  const list = useQuery({
    queryKey: queryKeys.consultationList({ limit: 100 }),
    queryFn: () => unwrap(api.GET('/api/v1/consultations', { params: { query: { limit: 100 } } })),
    refetchInterval: 30_000,
  })
  return (
    <Page title="Doctors">
      <Stack gap="md">
        <Card withBorder component="section" aria-label="Your consultations">
          <Title order={3} size="h5" mb="xs">
            Your consultations
          </Title>
          <QueryState query={list} isEmpty={(d) => d.items.length === 0} empty="No consultations yet. Find a doctor below.">
            {(d) => <ConsultationList items={d.items} side="patient" />}
          </QueryState>
        </Card>
        <FindDoctor open={list.data?.items ?? []} />
        <SharedNotes />
      </Stack>
    </Page>
  )
}
