/**
 * The doctor's calendar (SPEC §10): their appointments of a day or a week
 * (`GET /appointments?from&to`), in the browser's time zone, each with the patient, the time,
 * the status, "Cancel" (either side may) and "Record visit" — the encounter form of the
 * patient's page, opened for this appointment.
 */
import { Anchor, Button, Card, Group, SegmentedControl, Stack, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { addDays, startOfDay, startOfWeek } from 'date-fns'
import { useState } from 'react'
import { Link } from 'react-router'
import { queryKeys } from '../api/query-keys'
import { Page } from '../components/Page'
import { Empty, QueryState } from '../components/states'
import { browserTimeZone, byLocalDay, formatDay, formatTime, localDay } from '../shared/appointment-time'
import { AppointmentStatusBadge, CancelAppointmentButton, isOpenAppointment } from '../shared/AppointmentParts'
import type { Appointment } from '../api/types'
import { listAppointments } from '../shared/appointments-api'

type View = 'day' | 'week'

/** The local days `view` shows around `anchor`: that day, or its Monday-to-Sunday week. */
function daysOf(view: View, anchor: Date): Date[] {
  const first = view === 'day' ? startOfDay(anchor) : startOfWeek(anchor, { weekStartsOn: 1 })
  return Array.from({ length: view === 'day' ? 1 : 7 }, (_, i) => addDays(first, i))
}

/** Where "Record visit" leads: the patient's page with the encounter form for this appointment. */
const recordVisitPath = (a: Appointment): string => `/doctor/patients/${a.patient.id}?appointmentId=${a.id}`

function CalendarRow({ appointment: a }: { appointment: Appointment }) {
  return (
    <Card withBorder padding="sm" data-testid="calendar-row">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <div style={{ minWidth: 0 }}>
          <Text size="sm" fw={600}>
            {formatTime(a.start)}–{formatTime(a.end)}
          </Text>
          <Group gap={6} wrap="nowrap">
            <Anchor component={Link} to={`/doctor/patients/${a.patient.id}`} truncate>
              {a.patient.name}
            </Anchor>
            <AppointmentStatusBadge status={a.status} />
          </Group>
          {a.reason && (
            <Text size="xs" c="dimmed">
              “{a.reason}”
            </Text>
          )}
        </div>
        {a.status === 'booked' && (
          <Group gap="xs">
            <Button size="xs" component={Link} to={recordVisitPath(a)} aria-label={`Record the visit of ${a.patient.name}`}>
              Record visit
            </Button>
            {isOpenAppointment(a) && <CancelAppointmentButton appointment={a} withWhom={a.patient.name} />}
          </Group>
        )}
      </Group>
    </Card>
  )
}

export default function CalendarPage() {
  const [view, setView] = useState<View>('week')
  const [anchor, setAnchor] = useState(() => new Date())
  const days = daysOf(view, anchor)
  const from = (days[0] ?? anchor).toISOString()
  const to = addDays(days[days.length - 1] ?? anchor, 1).toISOString()
  const list = useQuery({
    queryKey: queryKeys.appointmentList('me', { from, to }),
    queryFn: () => listAppointments('me', { from, to }),
    refetchInterval: 30_000,
  })
  const step = (n: number) => setAnchor((d) => addDays(d, n * days.length))
  const grouped = byLocalDay(list.data?.items ?? [])
  const title = view === 'day' ? formatDay(days[0] ?? anchor, true) : `${formatDay(days[0] ?? anchor)} – ${formatDay(days[6] ?? anchor)}`

  return (
    <Page title="Calendar">
      <Stack gap="md">
        <Group justify="space-between" wrap="wrap" gap="xs">
          <SegmentedControl
            value={view}
            onChange={(v) => setView(v as View)}
            data={[
              { value: 'day', label: 'Day' },
              { value: 'week', label: 'Week' },
            ]}
            aria-label="Calendar view"
          />
          <Group gap={4} wrap="nowrap">
            <Button size="xs" variant="default" onClick={() => step(-1)} aria-label={view === 'day' ? 'Previous day' : 'Previous week'}>
              ‹
            </Button>
            <Button size="xs" variant="default" onClick={() => setAnchor(new Date())}>
              Today
            </Button>
            <Button size="xs" variant="default" onClick={() => step(1)} aria-label={view === 'day' ? 'Next day' : 'Next week'}>
              ›
            </Button>
          </Group>
        </Group>
        <div>
          <Title order={3} size="h4" aria-live="polite">
            {title}
          </Title>
          <Text size="xs" c="dimmed">
            Times in {browserTimeZone().replace(/_/g, ' ')}.
          </Text>
        </div>
        <QueryState query={list}>
          {() => (
            <Stack gap="md">
              {days.map((d) => {
                const items = grouped.get(localDay(d)) ?? []
                if (view === 'week' && items.length === 0) return null
                return (
                  <section key={localDay(d)} aria-label={formatDay(d, true)}>
                    {view === 'week' && (
                      <Title order={4} size="h6" mb={4}>
                        {formatDay(d, true)}
                      </Title>
                    )}
                    {items.length === 0 ? (
                      <Empty>No appointments this day.</Empty>
                    ) : (
                      <Stack gap="xs">
                        {items.map((a) => (
                          <CalendarRow key={a.id} appointment={a} />
                        ))}
                      </Stack>
                    )}
                  </section>
                )
              })}
              {view === 'week' && grouped.size === 0 && <Empty>No appointments this week.</Empty>}
            </Stack>
          )}
        </QueryState>
      </Stack>
    </Page>
  )
}
