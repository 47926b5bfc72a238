/**
 * The doctor's availability (SPEC §10, FHIR Schedule): a time zone (IANA, the browser's by
 * default), the slot length (10–120 minutes), weekly windows per weekday in that zone's
 * wall-clock time (`PUT /doctor/availability`), and exceptions — time away, entered in the
 * schedule's zone (`POST/DELETE /doctor/availability/exceptions`). Patients book the free
 * slots this grid makes.
 */
import { ActionIcon, Alert, Button, Card, Group, NumberInput, Select, Stack, Text, TextInput } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useMemo, useState, type FormEvent } from 'react'
import type { AvailabilityInput, WeeklyWindow } from '../api/types'
import { fieldErrorsOf, formErrorOf } from '../components/forms'
import { FormErrorAlert } from '../components/fields'
import { queryKeys } from '../api/query-keys'
import { Page, Section } from '../components/Page'
import { Empty, ErrorState, QueryState } from '../components/states'
import { browserTimeZone, formatInZone, timeZoneNames, WEEKDAYS, zonedInputToInstant } from '../shared/appointment-time'
import {
  addException,
  deleteException,
  getAvailability,
  listExceptions,
  putAvailability,
} from '../shared/appointments-api'

const WEEKDAY_OPTIONS = WEEKDAYS.map((d) => ({ value: String(d.value), label: d.label }))

/** A new schedule: weekdays 09:00–17:00 in the browser's zone, 30-minute slots. */
const defaults = (): AvailabilityInput => ({
  timeZone: browserTimeZone(),
  slotMinutes: 30,
  weekly: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
})

function WeeklyForm({ initial }: { initial: AvailabilityInput }) {
  const qc = useQueryClient()
  const zones = useMemo(() => timeZoneNames().map((z) => ({ value: z, label: z.replace(/_/g, ' ') })), [])
  const [timeZone, setTimeZone] = useState(initial.timeZone)
  const [slotMinutes, setSlotMinutes] = useState<number | string>(initial.slotMinutes)
  const [weekly, setWeekly] = useState<WeeklyWindow[]>(initial.weekly)
  const [saved, setSaved] = useState(false)
  const save = useMutation({
    mutationFn: (body: AvailabilityInput) => putAvailability(body),
    onSuccess: (a) => {
      qc.setQueryData(queryKeys.availability, a)
      void qc.invalidateQueries({ queryKey: queryKeys.slots })
      setSaved(true)
    },
  })
  const errors = fieldErrorsOf(save.error)
  const setRow = (i: number, patch: Partial<WeeklyWindow>) => {
    setSaved(false)
    setWeekly((rows) => rows.map((r, j) => (j === i ? { ...r, ...patch } : r)))
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    setSaved(false)
    save.mutate({ timeZone, slotMinutes: Number(slotMinutes), weekly })
  }
  return (
    <form onSubmit={submit} noValidate aria-label="Weekly availability">
      <Stack gap="sm">
        <Group grow align="flex-start" wrap="wrap" gap="sm">
          <Select
            label="Time zone"
            data={zones}
            value={timeZone}
            onChange={(v) => v && (setTimeZone(v), setSaved(false))}
            searchable
            allowDeselect={false}
            error={errors['/timeZone']}
            miw={200}
          />
          <NumberInput
            label="Slot length (minutes)"
            min={10}
            max={120}
            step={5}
            allowDecimal={false}
            value={slotMinutes}
            onChange={(v) => (setSlotMinutes(v), setSaved(false))}
            error={errors['/slotMinutes']}
            miw={160}
          />
        </Group>
        <Text size="sm" fw={600}>
          Weekly hours ({timeZone.replace(/_/g, ' ')})
        </Text>
        {weekly.length === 0 && <Empty>No weekly hours: patients cannot book. Add a row.</Empty>}
        {weekly.map((r, i) => (
          <div key={i} className="weekly-row" data-testid="weekly-row">
            <Select
              label="Day"
              data={WEEKDAY_OPTIONS}
              value={String(r.weekday)}
              onChange={(v) => v && setRow(i, { weekday: Number(v) })}
              allowDeselect={false}
              style={{ gridArea: 'day' }}
              error={errors[`/weekly/${i}/weekday`]}
            />
            <TextInput label="From" type="time" value={r.start} onChange={(e) => setRow(i, { start: e.currentTarget.value })} style={{ gridArea: 'from' }} error={errors[`/weekly/${i}/start`]} />
            <TextInput label="To" type="time" value={r.end} onChange={(e) => setRow(i, { end: e.currentTarget.value })} style={{ gridArea: 'to' }} error={errors[`/weekly/${i}/end`]} />
            <ActionIcon
              variant="subtle"
              color="red"
              size="lg"
              mb={2}
              style={{ gridArea: 'remove' }}
              aria-label={`Remove ${WEEKDAYS.find((d) => d.value === r.weekday)?.label ?? 'this'} ${r.start}–${r.end}`}
              onClick={() => {
                setSaved(false)
                setWeekly((rows) => rows.filter((_, j) => j !== i))
              }}
            >
              <span aria-hidden>✕</span>
            </ActionIcon>
          </div>
        ))}
        <Group justify="space-between" wrap="wrap">
          <Button
            variant="default"
            onClick={() => {
              setSaved(false)
              const last = weekly[weekly.length - 1]
              setWeekly((rows) => [...rows, { weekday: last ? (last.weekday % 7) + 1 : 1, start: last?.start ?? '09:00', end: last?.end ?? '17:00' }])
            }}
          >
            Add hours
          </Button>
          <Button type="submit" loading={save.isPending}>
            Save availability
          </Button>
        </Group>
        <FormErrorAlert message={save.isError ? formErrorOf(save.error) : null} />
        {saved && (
          <Alert color="teal" role="status">
            Availability saved.
          </Alert>
        )}
      </Stack>
    </form>
  )
}

function Exceptions({ timeZone }: { timeZone: string }) {
  const qc = useQueryClient()
  const list = useQuery({ queryKey: queryKeys.availabilityExceptions, queryFn: listExceptions })
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [reason, setReason] = useState('')
  const [local, setLocal] = useState<string | null>(null)
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: queryKeys.availabilityExceptions })
    void qc.invalidateQueries({ queryKey: queryKeys.slots })
  }
  const add = useMutation({
    mutationFn: addException,
    onSuccess: () => {
      setFrom('')
      setTo('')
      setReason('')
      refresh()
    },
  })
  const remove = useMutation({ mutationFn: deleteException, onSuccess: refresh })
  const errors = fieldErrorsOf(add.error)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const start = zonedInputToInstant(from, timeZone)
    const end = zonedInputToInstant(to, timeZone)
    if (!start || !end) return setLocal('Give the start and the end.')
    if (end <= start) return setLocal('The end must be after the start.')
    setLocal(null)
    add.mutate({ from: start, to: end, ...(reason.trim() ? { reason: reason.trim() } : {}) })
  }
  return (
    <Stack gap="sm">
      <form onSubmit={submit} noValidate aria-label="Add time away">
        <Stack gap="xs">
          <Group grow align="flex-start" wrap="wrap" gap="sm">
            <TextInput label="Away from" type="datetime-local" value={from} onChange={(e) => setFrom(e.currentTarget.value)} error={errors['/from']} miw={200} />
            <TextInput label="Until" type="datetime-local" value={to} onChange={(e) => setTo(e.currentTarget.value)} error={errors['/to']} miw={200} />
          </Group>
          <TextInput label="Reason (optional)" maxLength={500} value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
          <Text size="xs" c="dimmed">
            Times in {timeZone.replace(/_/g, ' ')}.
          </Text>
          <FormErrorAlert message={local ?? (add.isError ? formErrorOf(add.error, (p) => p === '/from' || p === '/to') : null)} />
          <Group justify="flex-end">
            <Button type="submit" variant="light" loading={add.isPending}>
              Add time away
            </Button>
          </Group>
        </Stack>
      </form>
      {remove.isError && <ErrorState error={remove.error} title="Could not delete" />}
      <QueryState query={list} isEmpty={(d) => d.items.length === 0} empty="No time away planned.">
        {(d) => (
          <Stack gap="xs" aria-label="Time away">
            {d.items.map((x) => (
              <Card key={x.id} withBorder padding="xs" data-testid="exception-row">
                <Group justify="space-between" wrap="nowrap" gap="xs">
                  <div style={{ minWidth: 0 }}>
                    <Text size="sm">
                      {formatInZone(x.from, timeZone)} – {formatInZone(x.to, timeZone)}
                    </Text>
                    {x.reason && (
                      <Text size="xs" c="dimmed">
                        {x.reason}
                      </Text>
                    )}
                  </div>
                  <Button size="xs" color="red" variant="subtle" loading={remove.isPending && remove.variables === x.id} onClick={() => remove.mutate(x.id)} aria-label={`Delete time away from ${formatInZone(x.from, timeZone)}`}>
                    Delete
                  </Button>
                </Group>
              </Card>
            ))}
          </Stack>
        )}
      </QueryState>
    </Stack>
  )
}

export default function AvailabilityPage() {
  const availability = useQuery({ queryKey: queryKeys.availability, queryFn: getAvailability })
  return (
    <Page title="Availability">
      <Stack gap="md">
        <Section title="Weekly hours">
          <QueryState query={availability}>{(a) => <WeeklyForm initial={a ?? defaults()} />}</QueryState>
        </Section>
        <Section title="Time away">
          <Exceptions timeZone={availability.data?.timeZone ?? browserTimeZone()} />
        </Section>
      </Stack>
    </Page>
  )
}
