/**
 * Vitals of one patient (SPEC §4.8): entry form, and per type a chart of the readings with
 * its reference band and the weekly trend from `/vitals/trends`. Used by the patient (`me`)
 * and by a consenting doctor. The form never rewrites a number (no clamping: an implausible
 * value goes to the server, whose 400 names the range under the field), and "Measured at"
 * is the moment of saving unless the user sets it.
 */
import { Alert, Badge, Card, Group, NumberInput, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { lazy, Suspense, useEffect, useState, type FormEvent } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { VITAL_TYPES, type Vital, type VitalInput, type VitalType } from '../api/types'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { SubmitRow } from '../components/fields'
import { formatDate, formatDateTime, STATUS_COLOR } from '../components/format'
import { Empty, ErrorState, Loading, QueryState } from '../components/states'
import { formatVital, unitLabel, VITALS } from './vitals'

const VitalChart = lazy(() => import('./VitalChart'))

const TYPE_OPTIONS = VITAL_TYPES.map((t) => ({ value: t, label: VITALS[t].label }))

function localNow(): string {
  const d = new Date()
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset())
  return d.toISOString().slice(0, 16)
}

function VitalForm({ pid }: { pid: string }) {
  const qc = useQueryClient()
  const [type, setType] = useState<VitalType>('blood_pressure')
  const [value, setValue] = useState<number | string>('')
  const [systolic, setSystolic] = useState<number | string>('')
  const [diastolic, setDiastolic] = useState<number | string>('')
  const [unit, setUnit] = useState<string>(VITALS.blood_pressure.unit)
  const [context, setContext] = useState<string | null>(null)
  // null: "now" — the server stamps the reading when it is saved (SPEC §4.8 `measuredAt` defaults
  // to now). Only a time the user picked is sent, so two readings never share a stale page-load time.
  const [measuredAt, setMeasuredAt] = useState<string | null>(null)
  const [shownNow, setShownNow] = useState(localNow())
  const [note, setNote] = useState('')
  const [errors, setErrors] = useState<FieldErrors>({})

  useEffect(() => {
    if (measuredAt !== null) return
    const timer = setInterval(() => setShownNow(localNow()), 15_000)
    return () => clearInterval(timer)
  }, [measuredAt])

  const add = useMutation({
    mutationFn: (body: VitalInput) => unwrap(api.POST('/api/v1/patients/{pid}/vitals', { params: { path: { pid } }, body })),
    onSuccess: () => {
      setValue('')
      setSystolic('')
      setDiastolic('')
      setNote('')
      setMeasuredAt(null)
      setShownNow(localNow())
      setErrors({})
      void qc.invalidateQueries({ queryKey: queryKeys.vitals(pid) })
    },
    onError: (err) => setErrors(fieldErrorsOf(err)),
  })

  /** An edit makes the last "Saved …" (or failure) message stale, and clears the edited field's error. */
  const edit =
    <T,>(setter: (v: T) => void, ...paths: string[]) =>
    (v: T) => {
      if (!add.isIdle) add.reset()
      if (paths.some((p) => errors[p])) setErrors(Object.fromEntries(Object.entries(errors).filter(([p]) => !paths.includes(p))))
      setter(v)
    }

  const chooseType = (t: VitalType) => {
    if (!add.isIdle) add.reset()
    setType(t)
    setUnit(VITALS[t].unit)
    setErrors({})
  }

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const local: FieldErrors = {}
    const body: VitalInput = { type, unit }
    if (type === 'blood_pressure') {
      if (systolic === '') local['/systolic'] = 'Enter the systolic (upper) value.'
      if (diastolic === '') local['/diastolic'] = 'Enter the diastolic (lower) value.'
      if (systolic !== '' && diastolic !== '' && Number(diastolic) >= Number(systolic)) local['/diastolic'] = 'Diastolic must be lower than systolic.'
      body.systolic = Number(systolic)
      body.diastolic = Number(diastolic)
    } else {
      if (value === '') local['/value'] = 'Enter a value.'
      body.value = Number(value)
      if (type === 'blood_glucose' && context) body.context = context as VitalInput['context']
    }
    if (measuredAt !== null) {
      const when = new Date(measuredAt)
      if (Number.isNaN(when.getTime())) local['/measuredAt'] = 'Enter when it was measured.'
      else if (when.getTime() > Date.now() + 5 * 60_000) local['/measuredAt'] = 'Cannot be in the future.'
      else body.measuredAt = when.toISOString()
    }
    if (note.trim()) body.note = note.trim()
    setErrors(local)
    if (Object.keys(local).length === 0) add.mutate(body)
  }

  const meta = VITALS[type]
  return (
    <form onSubmit={submit} noValidate aria-label="Add a reading">
      <Stack gap="sm">
        <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="xs">
          <Select label="Type" data={TYPE_OPTIONS} value={type} onChange={(v) => v && chooseType(v as VitalType)} allowDeselect={false} error={errors['/type']} />
          {type === 'blood_pressure' ? (
            <>
              <NumberInput label="Systolic (mmHg)" clampBehavior="none" value={systolic} onChange={edit(setSystolic, '/systolic')} error={errors['/systolic']} allowDecimal={false} />
              <NumberInput label="Diastolic (mmHg)" clampBehavior="none" value={diastolic} onChange={edit(setDiastolic, '/diastolic')} error={errors['/diastolic']} allowDecimal={false} />
            </>
          ) : (
            <>
              <NumberInput label={`Value (${unitLabel(type, unit)})`} clampBehavior="none" value={value} onChange={edit(setValue, '/value')} step={meta.step} decimalScale={2} error={errors['/value']} />
              <Select
                label="Unit"
                data={meta.units.map((u) => ({ value: u, label: unitLabel(type, u) }))}
                value={unit}
                onChange={(v) => v && edit(setUnit, '/unit', '/value')(v)}
                allowDeselect={false}
                error={errors['/unit']}
              />
            </>
          )}
          {type === 'blood_glucose' && (
            <Select
              label="Context"
              placeholder="Not stated"
              data={[
                { value: 'fasting', label: 'Fasting' },
                { value: 'random', label: 'Random' },
                { value: 'postprandial', label: 'After a meal' },
              ]}
              value={context}
              onChange={edit(setContext, '/context')}
              clearable
              error={errors['/context']}
            />
          )}
          <TextInput
            label="Measured at"
            type="datetime-local"
            description={measuredAt === null ? 'Now — the time you save, unless you change it' : undefined}
            value={measuredAt ?? shownNow}
            onChange={(e) => edit(setMeasuredAt, '/measuredAt')(e.currentTarget.value || null)}
            error={errors['/measuredAt']}
          />
          <TextInput label="Note" value={note} maxLength={500} onChange={(e) => edit(setNote, '/note')(e.currentTarget.value)} error={errors['/note']} />
        </SimpleGrid>
        {add.isError && Object.keys(errors).length === 0 && (
          <Alert color="red" role="alert">
            {formErrorOf(add.error)}
          </Alert>
        )}
        {add.isSuccess && (
          <Text size="sm" c="teal.9" role="status">
            Saved: {formatVital(add.data)}
            {add.data.flag && add.data.flag !== 'normal' ? ` (${add.data.flag})` : ''}.
          </Text>
        )}
        <SubmitRow loading={add.isPending}>
          Add reading
        </SubmitRow>
      </Stack>
    </form>
  )
}

function TrendTable({ pid, type }: { pid: string; type: VitalType }) {
  const trends = useQuery({
    queryKey: queryKeys.vitalTrends(pid, { type }),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/vitals/trends', { params: { path: { pid }, query: { type, bucket: 'week' } } })),
  })
  if (trends.isPending) return <Loading label="Loading the weekly trend…" />
  if (trends.isError) return <ErrorState error={trends.error} title="Could not load the trend" />
  const rows = trends.data.items.slice(-6)
  if (rows.length === 0) return null
  const r1 = (n: number | undefined) => (n === undefined ? '—' : String(Math.round(n * 10) / 10))
  return (
    <div className="table-scroll">
      <Table fz="xs" aria-label={`${VITALS[type].label}: weekly trend over 90 days`}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Week of</Table.Th>
            <Table.Th>Readings</Table.Th>
            <Table.Th>Mean</Table.Th>
            <Table.Th>Min–max</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((b) => (
            <Table.Tr key={b.bucketStart}>
              <Table.Td>{formatDate(b.bucketStart.slice(0, 10))}</Table.Td>
              <Table.Td>{b.count}</Table.Td>
              <Table.Td>{'systolic' in b ? `${r1(b.systolic.mean)}/${r1(b.diastolic.mean)}` : r1(b.mean)}</Table.Td>
              <Table.Td>
                {'systolic' in b
                  ? `${r1(b.systolic.min)}–${r1(b.systolic.max)} / ${r1(b.diastolic.min)}–${r1(b.diastolic.max)}`
                  : `${r1(b.min)}–${r1(b.max)}`}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </div>
  )
}

function TypeCard({ pid, type, items }: { pid: string; type: VitalType; items: Vital[] }) {
  const latest = [...items].sort((a, b) => b.measuredAt.localeCompare(a.measuredAt))[0]
  return (
    <Card withBorder component="section" aria-label={VITALS[type].label} data-testid={`vital-card-${type}`}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={3} size="h5">
            {VITALS[type].label}
          </Title>
          {latest && (
            <Group gap={6}>
              <Text fw={600}>{formatVital(latest)}</Text>
              <Badge color={STATUS_COLOR[latest.flag]} variant="light">
                {latest.flag}
              </Badge>
            </Group>
          )}
        </Group>
        {latest && (
          <Text size="xs" c="dimmed">
            Latest {formatDateTime(latest.measuredAt)} · shaded: reference range
          </Text>
        )}
        <Suspense fallback={<Loading label="Loading chart…" />}>
          <VitalChart type={type} items={items} />
        </Suspense>
        <TrendTable pid={pid} type={type} />
      </Stack>
    </Card>
  )
}

export function VitalsView({ pid, canAdd = true }: { pid: string; canAdd?: boolean }) {
  const [filter, setFilter] = useState<VitalType | null>(null)
  const list = useQuery({
    queryKey: queryKeys.vitalList(pid, { type: filter }),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/vitals', { params: { path: { pid }, query: { type: filter ?? undefined, limit: 100 } } })),
  })
  return (
    <Stack gap="md">
      {canAdd && (
        <Card withBorder>
          <Title order={3} size="h5" mb="xs">
            Add a reading
          </Title>
          <VitalForm pid={pid} />
        </Card>
      )}
      <Select label="Show" placeholder="All types" data={TYPE_OPTIONS} value={filter} onChange={setFilter} clearable maw={320} />
      <QueryState query={list}>
        {(d) => {
          const byType = VITAL_TYPES.map((t) => [t, d.items.filter((v) => v.type === t)] as const).filter(([, xs]) => xs.length > 0)
          if (byType.length === 0) return <Empty>No readings yet.</Empty>
          return (
            <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
              {byType.map(([t, xs]) => (
                <TypeCard key={t} pid={pid} type={t} items={xs} />
              ))}
            </SimpleGrid>
          )
        }}
      </QueryState>
    </Stack>
  )
}
