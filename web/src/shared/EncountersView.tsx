/**
 * A patient's visits (SPEC §10), newest first, for the patient (or their caregiver) and their
 * doctor: each visit opens to its detail — the notes the reader may see, the vitals taken and
 * the prescriptions written at it.
 */
import { Badge, Button, Card, Group, List, Stack, Text } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { Encounter } from '../api/types'
import { formatDateTime } from '../components/format'
import { QueryState } from '../components/states'

export const ENCOUNTER_TYPE_LABEL: Record<Encounter['type'], string> = { in_person: 'In person', video: 'Video', phone: 'Phone' }

/** One part of a visit's detail, shown only when it has entries. */
function Part<T>({ title, items, line }: { title: string; items: readonly T[]; line: (item: T) => React.ReactNode }) {
  if (items.length === 0) return null
  return (
    <div>
      <Text size="xs" fw={600}>{title}</Text>
      {items.map(line)}
    </div>
  )
}

function VisitDetail({ pid, id }: { pid: string; id: string }) {
  const detail = useQuery({
    queryKey: queryKeys.encounter(pid, id),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/encounters/{id}', { params: { path: { pid, id } } })),
  })
  return (
    <QueryState query={detail} loadingLabel="Loading the visit…">
      {(e) => (
        <Stack gap="xs" mt="xs">
          {e.summary && (
            <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
              {e.summary}
            </Text>
          )}
          <Part
            title="Notes"
            items={e.notes}
            line={(n) => (
              <Text key={n.id} size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                {n.body} <Text span size="xs" c="dimmed">— {n.author.name}</Text>
              </Text>
            )}
          />
          <Part
            title="Vitals"
            items={e.vitals}
            line={(v) => (
              <Text key={v.id} size="sm">
                {v.type.replace(/_/g, ' ')}: {v.systolic !== undefined ? `${v.systolic}/${v.diastolic}` : v.value} {v.unit}
              </Text>
            )}
          />
          <Part
            title="Prescriptions"
            items={e.prescriptions}
            line={(rx) => (
              <Text key={rx.id} size="sm">
                {rx.prescriptionNumber}: {rx.items.map((i) => i.medicineName).join(', ')}
              </Text>
            )}
          />
          {!e.summary && e.notes.length + e.vitals.length + e.prescriptions.length === 0 && (
            <Text size="sm" c="dimmed">Nothing else was recorded at this visit.</Text>
          )}
        </Stack>
      )}
    </QueryState>
  )
}

function VisitCard({ pid, e }: { pid: string; e: Encounter }) {
  const [open, setOpen] = useState(false)
  return (
    <Card withBorder padding="sm" aria-label={`Visit of ${formatDateTime(e.start)}`}>
      <Group justify="space-between" wrap="wrap" gap={4}>
        <Text size="sm" fw={600}>{formatDateTime(e.start)}</Text>
        <Badge size="sm" variant="light">{ENCOUNTER_TYPE_LABEL[e.type]}</Badge>
      </Group>
      <Text size="xs" c="dimmed">
        {e.doctor.name}{e.doctor.specialty ? ` · ${e.doctor.specialty}` : ''}
      </Text>
      {e.reason && <Text size="sm" mt={4} style={{ overflowWrap: 'anywhere' }}>{e.reason}</Text>}
      {e.diagnoses.length > 0 && (
        <List size="sm" mt={4}>
          {e.diagnoses.map((d, i) => (
            <List.Item key={i}>
              {d.text}
              {d.code ? <Text span size="xs" c="dimmed"> ({d.code.code})</Text> : null}
            </List.Item>
          ))}
        </List>
      )}
      <Button variant="subtle" size="xs" px={0} mt={4} onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        {open ? 'Hide details' : 'Details'}
      </Button>
      {open && <VisitDetail pid={pid} id={e.id} />}
    </Card>
  )
}

/** The visits of patient `pid` (`me` or an id). */
export function EncountersView({ pid }: { pid: string }) {
  const list = useQuery({
    queryKey: queryKeys.encounters(pid),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/encounters', { params: { path: { pid }, query: { limit: 100 } } })),
  })
  return (
    <QueryState query={list} isEmpty={(d) => d.items.length === 0} empty="No visits recorded yet.">
      {(d) => (
        <Stack gap="sm" aria-label="Visits">
          {d.items.map((e) => (
            <VisitCard key={e.id} pid={pid} e={e} />
          ))}
        </Stack>
      )}
    </QueryState>
  )
}
