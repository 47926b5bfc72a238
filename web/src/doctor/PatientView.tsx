/**
 * One consenting patient, as their doctor sees them (SPEC §3, §4.8): profile, records,
 * vitals, lab results, the summary, notes, prescriptions and visits (SPEC §10; `?appointmentId=`
 * opens the Visits tab to record that appointment's visit). Ending the consultation ends access.
 */
import { Alert, Badge, Button, Card, Checkbox, Group, Stack, Tabs, Text, Textarea, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { useNavigate, useParams, useSearchParams } from 'react-router'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { useDoctorPatients } from './useDoctorPatients'
import { fieldErrorsOf } from '../components/forms'
import { formatDateTime, STATUS_COLOR } from '../components/format'
import { Page } from '../components/Page'
import { ErrorState, QueryState } from '../components/states'
import { PrescriptionCard } from '../shared/PrescriptionCard'
import { ProfileSummary } from '../shared/ProfileSummary'
import { RecordsBrowser } from '../shared/RecordsBrowser'
import { UploadPanel } from '../shared/UploadPanel'
import { VitalsView } from '../shared/VitalsView'
import { LabsView } from '../shared/LabsView'
import { EncountersView } from '../shared/EncountersView'
import { PrescriptionForm } from './PrescriptionForm'
import { RecordVisitForm } from './RecordVisitForm'

const SEVERITY_WORD = { critical: 'Critical', warning: 'Warning', info: 'Info' } as const

function SummaryTab({ pid }: { pid: string }) {
  const summary = useQuery({ queryKey: queryKeys.summary(pid), queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/summary', { params: { path: { pid } } })) })
  return (
    <QueryState query={summary} loadingLabel="Building the summary…">
      {(s) => {
        // The rules' text is a count line followed by the highlights again, one per line: with the
        // highlights shown as cards, only its count line is news. A model's prose is its own text.
        const rulesWithHighlights = s.generator === 'rules' && s.highlights.length > 0
        const text = rulesWithHighlights ? (s.text.split('\n')[0] ?? '') : s.text
        return (
          <Stack gap="sm">
            {text && (
              <Card withBorder>
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                  {text}
                </Text>
              </Card>
            )}
            {s.highlights.length > 0 && (
              <Stack gap={6} aria-label="Highlights">
                {s.highlights.map((h, i) => (
                  <Alert key={i} color={STATUS_COLOR[h.severity]} variant="light" p="xs">
                    <Group gap={6} wrap="nowrap" align="flex-start">
                      {/* flex-shrink 0: a long message must not squeeze the badge to "W…" */}
                      <Badge size="sm" color={STATUS_COLOR[h.severity]} style={{ flexShrink: 0 }}>
                        {SEVERITY_WORD[h.severity] ?? h.severity}
                      </Badge>
                      <Text size="sm">{h.message}</Text>
                    </Group>
                  </Alert>
                ))}
              </Stack>
            )}
            <Text size="xs" c="dimmed">
              Generated {formatDateTime(s.generatedAt)} by {s.generator === 'rules' ? 'the built-in rules' : s.generator}.
            </Text>
          </Stack>
        )
      }}
    </QueryState>
  )
}

function NotesTab({ pid }: { pid: string }) {
  const qc = useQueryClient()
  const notes = useQuery({
    queryKey: queryKeys.notes(pid),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/notes', { params: { path: { pid }, query: { limit: 100 } } })),
  })
  const [body, setBody] = useState('')
  const [shared, setShared] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const add = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/patients/{pid}/notes', { params: { path: { pid } }, body: { body: body.trim(), sharedWithPatient: shared } })),
    onSuccess: () => {
      setBody('')
      setShared(false)
      void qc.invalidateQueries({ queryKey: queryKeys.notes(pid) })
    },
    onError: (err) => setError(fieldErrorsOf(err)['/body']),
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    setError(body.trim() ? undefined : 'A note needs some text.')
    if (body.trim()) add.mutate()
  }
  return (
    <Stack gap="md">
      <form onSubmit={submit} noValidate aria-label="Write a note">
        <Stack gap="xs">
          <Textarea label="New note" autosize minRows={3} maxLength={10000} value={body} onChange={(e) => setBody(e.currentTarget.value)} error={error} />
          <Group justify="space-between">
            <Checkbox label="Share with the patient" checked={shared} onChange={(e) => setShared(e.currentTarget.checked)} />
            <Button type="submit" loading={add.isPending}>
              Save note
            </Button>
          </Group>
          {add.isError && !error && <ErrorState error={add.error} title="Could not save the note" />}
        </Stack>
      </form>
      <QueryState query={notes} isEmpty={(d) => d.items.length === 0} empty="No notes yet.">
        {(d) => (
          <Stack gap="xs">
            {d.items.map((n) => (
              <Card key={n.id} withBorder padding="sm">
                <Group justify="space-between" mb={4}>
                  <Text size="xs" c="dimmed">
                    {formatDateTime(n.createdAt)} · {n.author.name}
                  </Text>
                  {n.sharedWithPatient && (
                    <Badge size="xs" variant="light">
                      shared with patient
                    </Badge>
                  )}
                </Group>
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                  {n.body}
                </Text>
              </Card>
            ))}
          </Stack>
        )}
      </QueryState>
    </Stack>
  )
}

function PrescriptionsTab({ pid }: { pid: string }) {
  const list = useQuery({
    queryKey: queryKeys.prescriptionList({ status: 'all', limit: 100 }),
    queryFn: () => unwrap(api.GET('/api/v1/prescriptions', { params: { query: { limit: 100 } } })),
  })
  const mine = (list.data?.items ?? []).filter((rx) => rx.patient.id === pid)
  return (
    <Stack gap="md">
      <Card withBorder>
        <Title order={3} size="h5" mb="xs">
          New prescription
        </Title>
        <PrescriptionForm patientId={pid} />
      </Card>
      <Title order={3} size="h5">
        Issued to this patient
      </Title>
      <QueryState query={list} isEmpty={() => mine.length === 0} empty="None yet.">
        {() => (
          <Stack gap="sm">
            {mine.map((rx) => (
              <PrescriptionCard key={rx.id} rx={rx} showPatient={false} />
            ))}
          </Stack>
        )}
      </QueryState>
    </Stack>
  )
}

function VisitsTab({ pid, appointmentId }: { pid: string; appointmentId?: string | undefined }) {
  return (
    <Stack gap="md">
      <Card withBorder>
        <Title order={3} size="h5" mb="xs">
          Record visit
        </Title>
        <RecordVisitForm pid={pid} appointmentId={appointmentId} />
      </Card>
      <Title order={3} size="h5">
        Visits
      </Title>
      <EncountersView pid={pid} />
    </Stack>
  )
}

export default function PatientView() {
  const { pid = '' } = useParams()
  const [search] = useSearchParams()
  const appointmentId = search.get('appointmentId') ?? undefined
  const navigate = useNavigate()
  const qc = useQueryClient()
  const [tab, setTab] = useState<string | null>(appointmentId ? 'visits' : 'profile')
  const profile = useQuery({ queryKey: queryKeys.profile(pid), queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/profile', { params: { path: { pid } } })) })
  const patients = useDoctorPatients()
  const link = patients.data?.items.find((p) => p.id === pid)
  const end = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/consultations/{id}/end', { params: { path: { id } }, body: {} })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.doctorPatients })
      navigate('/doctor')
    },
  })

  return (
    <Page
      title={profile.data?.fullName ?? 'Patient'}
      actions={
        link && (
          <Button
            color="red"
            variant="light"
            size="xs"
            loading={end.isPending}
            onClick={() => {
              if (window.confirm('End this consultation? You lose access to this patient at once.')) end.mutate(link.consultationId)
            }}
          >
            End consultation
          </Button>
        )
      }
    >
      {end.isError && <ErrorState error={end.error} title="Could not end the consultation" />}
      {profile.isError ? (
        <ErrorState error={profile.error} title="No access to this patient" />
      ) : (
        <Tabs value={tab} onChange={setTab} keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="profile">Profile</Tabs.Tab>
            <Tabs.Tab value="records">Records</Tabs.Tab>
            <Tabs.Tab value="vitals">Vitals</Tabs.Tab>
            <Tabs.Tab value="labs">Lab results</Tabs.Tab>
            <Tabs.Tab value="summary">Summary</Tabs.Tab>
            <Tabs.Tab value="notes">Notes</Tabs.Tab>
            <Tabs.Tab value="prescriptions">Prescriptions</Tabs.Tab>
            <Tabs.Tab value="visits">Visits</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="profile" pt="md">
            <QueryState query={profile}>{(p) => <ProfileSummary profile={p} />}</QueryState>
          </Tabs.Panel>
          <Tabs.Panel value="records" pt="md">
            <Stack gap="md">
              <Card withBorder>
                <Title order={3} size="h5" mb="xs">
                  Add a record
                </Title>
                <UploadPanel pid={pid} />
              </Card>
              <RecordsBrowser pid={pid} />
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="vitals" pt="md">
            <VitalsView pid={pid} />
          </Tabs.Panel>
          <Tabs.Panel value="labs" pt="md">
            <LabsView pid={pid} />
          </Tabs.Panel>
          <Tabs.Panel value="summary" pt="md">
            <SummaryTab pid={pid} />
          </Tabs.Panel>
          <Tabs.Panel value="notes" pt="md">
            <NotesTab pid={pid} />
          </Tabs.Panel>
          <Tabs.Panel value="prescriptions" pt="md">
            <PrescriptionsTab pid={pid} />
          </Tabs.Panel>
          <Tabs.Panel value="visits" pt="md">
            <VisitsTab pid={pid} appointmentId={appointmentId} />
          </Tabs.Panel>
        </Tabs>
      )}
    </Page>
  )
}
