/**
 * "Record visit" (SPEC §10): a doctor with an approved consultation records a visit of the
 * patient — type, start and end (local time, sent as UTC instants), reason, diagnoses one per
 * line, summary — optionally for a booked appointment (`appointmentId`), which the server then
 * marks completed.
 */
import { Alert, Button, Group, Select, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { EncounterInput } from '../api/types'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { ENCOUNTER_TYPE_LABEL } from '../shared/EncountersView'

/** `YYYY-MM-DDTHH:mm` of now in local time, what a datetime-local input shows. */
const localNow = () => {
  const d = new Date()
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset())
  return d.toISOString().slice(0, 16)
}

export function RecordVisitForm({ pid, appointmentId, onRecorded }: { pid: string; appointmentId?: string | undefined; onRecorded?: () => void }) {
  const qc = useQueryClient()
  const [type, setType] = useState<EncounterInput['type']>('in_person')
  const [start, setStart] = useState(localNow)
  const [end, setEnd] = useState('')
  const [reason, setReason] = useState('')
  const [diagnoses, setDiagnoses] = useState('')
  const [summary, setSummary] = useState('')
  const [errors, setErrors] = useState<FieldErrors>({})
  const save = useMutation({
    mutationFn: (body: EncounterInput) => unwrap(api.POST('/api/v1/patients/{pid}/encounters', { params: { path: { pid } }, body })),
    onSuccess: () => {
      setReason('')
      setDiagnoses('')
      setSummary('')
      setEnd('')
      setErrors({})
      void qc.invalidateQueries({ queryKey: queryKeys.encounters(pid) })
      void qc.invalidateQueries({ queryKey: ['appointments'] })
      onRecorded?.()
    },
    onError: (err) => setErrors(fieldErrorsOf(err)),
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const local: FieldErrors = {}
    if (!start) local['/start'] = 'When did the visit start?'
    if (start && end && new Date(end) < new Date(start)) local['/end'] = 'A visit does not end before it starts.'
    setErrors(local)
    if (Object.keys(local).length > 0) return
    const body: EncounterInput = {
      type,
      start: new Date(start).toISOString(),
      diagnoses: diagnoses.split('\n').map((l) => l.trim()).filter(Boolean).map((text) => ({ text })),
    }
    if (end) body.end = new Date(end).toISOString()
    if (reason.trim()) body.reason = reason.trim()
    if (summary.trim()) body.summary = summary.trim()
    if (appointmentId) body.appointmentId = appointmentId
    save.mutate(body)
  }
  return (
    <form onSubmit={submit} noValidate aria-label="Record visit">
      <Stack gap="xs">
        {appointmentId && <Text size="sm" c="dimmed">For the booked appointment: it will be marked completed.</Text>}
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
          <Select
            label="Type"
            data={Object.entries(ENCOUNTER_TYPE_LABEL).map(([value, label]) => ({ value, label }))}
            value={type}
            onChange={(v) => v && setType(v as EncounterInput['type'])}
            allowDeselect={false}
            error={errors['/type']}
          />
          <TextInput label="Start" type="datetime-local" required value={start} onChange={(e) => setStart(e.currentTarget.value)} error={errors['/start']} />
          <TextInput label="End" type="datetime-local" value={end} onChange={(e) => setEnd(e.currentTarget.value)} error={errors['/end']} />
        </SimpleGrid>
        <TextInput label="Reason" maxLength={1000} value={reason} onChange={(e) => setReason(e.currentTarget.value)} error={errors['/reason']} />
        <Textarea
          label="Diagnoses"
          description="One per line"
          autosize
          minRows={2}
          value={diagnoses}
          onChange={(e) => setDiagnoses(e.currentTarget.value)}
          error={Object.entries(errors).find(([k]) => k.startsWith('/diagnoses'))?.[1]}
        />
        <Textarea label="Summary" autosize minRows={3} maxLength={10000} value={summary} onChange={(e) => setSummary(e.currentTarget.value)} error={errors['/summary']} />
        {save.isError && Object.keys(errors).length === 0 && (
          <Alert color="red" role="alert">
            {formErrorOf(save.error)}
          </Alert>
        )}
        {save.isSuccess && (
          <Text size="sm" c="teal.9" role="status">
            Visit recorded.
          </Text>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={save.isPending}>
            Record visit
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
