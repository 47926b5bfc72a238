/**
 * A locker's appointments (SPEC §10), for the patient or a caregiver (`useLocker()`):
 * upcoming and past visits, cancel and reschedule with confirmation, and booking — pick a
 * doctor, a day of the next four weeks, a free slot (local time), an optional reason, confirm.
 * A slot someone else just took is a 409: the slots are refreshed and the patient picks
 * another. A `read` caregiver sees the appointments but no booking, cancel or reschedule.
 */
import { Alert, Anchor, Button, Card, Group, Modal, Select, Stack, Text, Textarea } from '@mantine/core'
import { useMutation, useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { formErrorOf } from '../components/forms'
import { Page, Section } from '../components/Page'
import { QueryState } from '../components/states'
import { formatSpan } from '../shared/appointment-time'
import { AppointmentStatusBadge, CancelAppointmentButton, isOpenAppointment, useRefreshAppointments } from '../shared/AppointmentParts'
import type { Appointment, Slot } from '../api/types'
import { bookAppointment, isSlotConflict, listAppointments, rescheduleAppointment } from '../shared/appointments-api'
import { SlotPicker } from '../shared/SlotPicker'
import { useLocker } from './locker'

const TAKEN = 'Someone just took this slot — pick another.'

interface DoctorOption {
  id: string
  name: string
}

/**
 * The doctors one may book with: on one's own locker those of an approved consultation; on a
 * managed locker (whose consultations are the patient's, not the caregiver's) the verified
 * doctors' directory — the server answers 409 when the patient has no approved consultation.
 */
function useBookableDoctors(isOwn: boolean) {
  return useQuery({
    queryKey: isOwn ? queryKeys.consultationList({ status: 'approved', limit: 100, as: 'doctors' }) : queryKeys.doctors({ limit: 100 }),
    queryFn: async (): Promise<DoctorOption[]> => {
      if (!isOwn) {
        const directory = await unwrap(api.GET('/api/v1/doctors', { params: { query: { limit: 100 } } }))
        return directory.items.map((d) => ({ id: d.id, name: d.name }))
      }
      const approved = await unwrap(api.GET('/api/v1/consultations', { params: { query: { status: 'approved', limit: 100 } } }))
      return [...new Map(approved.items.map((c) => [c.doctor.id, { id: c.doctor.id, name: c.doctor.name }])).values()]
    },
  })
}

function BookAppointment({ pid, isOwn }: { pid: string; isOwn: boolean }) {
  const qc = useQueryClient()
  const refresh = useRefreshAppointments()
  const doctors = useBookableDoctors(isOwn)
  const options = doctors.data ?? []
  const [doctorId, setDoctorId] = useState<string | null>(null)
  const [slot, setSlot] = useState<Slot | null>(null)
  const [reason, setReason] = useState('')
  const [confirming, setConfirming] = useState(false)
  const [booked, setBooked] = useState<Appointment | null>(null)
  const doctor = options.find((d) => d.id === doctorId) ?? null
  const book = useMutation({
    mutationFn: (s: Slot) =>
      bookAppointment({ doctorId: doctorId ?? '', start: s.start, ...(reason.trim() ? { reason: reason.trim() } : {}), ...(isOwn ? {} : { patientId: pid }) }),
    onSuccess: (a) => {
      setConfirming(false)
      setBooked(a)
      setSlot(null)
      setReason('')
      refresh()
    },
    onError: (err) => {
      setConfirming(false)
      if (isSlotConflict(err)) {
        setSlot(null)
        void qc.invalidateQueries({ queryKey: queryKeys.slots })
      }
    },
  })

  return (
    <Section title="Book an appointment">
      <QueryState
        query={doctors}
        isEmpty={(d) => d.length === 0}
        empty={
          <>
            You can book with a doctor who approved a consultation. <Anchor component={Link} to="/patient/consultations">Find a doctor</Anchor>
          </>
        }
      >
        {() => (
          <Stack gap="sm">
            {booked && (
              <Alert color="teal" role="status" title="Booked" withCloseButton onClose={() => setBooked(null)}>
                {booked.doctor.name} · {formatSpan(booked.start, booked.end)}. A confirmation email is on its way.
              </Alert>
            )}
            <Select
              label="Doctor"
              placeholder="Pick a doctor"
              data={options.map((d) => ({ value: d.id, label: d.name }))}
              value={doctorId}
              onChange={(v) => {
                setDoctorId(v)
                setSlot(null)
                book.reset()
              }}
              searchable={!isOwn}
              allowDeselect={false}
            />
            {doctorId && (
              <>
                <SlotPicker
                  doctorId={doctorId}
                  value={slot}
                  onChange={(s) => {
                    setSlot(s)
                    if (s) book.reset()
                  }}
                />
                {book.isError && (
                  <Alert color={isSlotConflict(book.error) ? 'orange' : 'red'} role="alert">
                    {isSlotConflict(book.error) ? TAKEN : formErrorOf(book.error)}
                  </Alert>
                )}
                {slot && (
                  <>
                    <Textarea label="Reason (optional)" maxLength={1000} autosize minRows={2} value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
                    <Group justify="flex-end">
                      <Button onClick={() => setConfirming(true)}>Book this time</Button>
                    </Group>
                  </>
                )}
              </>
            )}
          </Stack>
        )}
      </QueryState>
      <Modal opened={confirming && slot !== null} onClose={() => setConfirming(false)} title="Confirm the appointment">
        {slot && (
          <Stack>
            <Text size="sm">
              <strong>{doctor?.name}</strong>
              <br />
              {formatSpan(slot.start, slot.end)}
            </Text>
            {reason.trim() && <Text size="sm">“{reason.trim()}”</Text>}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setConfirming(false)}>
                Back
              </Button>
              <Button loading={book.isPending} onClick={() => book.mutate(slot)}>
                Confirm booking
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Section>
  )
}

function RescheduleButton({ appointment }: { appointment: Appointment }) {
  const qc = useQueryClient()
  const refresh = useRefreshAppointments()
  const [open, setOpen] = useState(false)
  const [slot, setSlot] = useState<Slot | null>(null)
  const move = useMutation({
    mutationFn: (s: Slot) => rescheduleAppointment(appointment.id, s.start),
    onSuccess: () => {
      setOpen(false)
      setSlot(null)
      refresh()
    },
    onError: (err) => {
      if (isSlotConflict(err)) {
        setSlot(null)
        void qc.invalidateQueries({ queryKey: queryKeys.slots })
      }
    },
  })
  const close = () => {
    setOpen(false)
    setSlot(null)
    move.reset()
  }
  return (
    <>
      <Button size="xs" variant="default" onClick={() => setOpen(true)} aria-label={`Reschedule the appointment with ${appointment.doctor.name}`}>
        Reschedule
      </Button>
      <Modal opened={open} onClose={close} title="Pick a new time" size="lg">
        <Stack>
          <Text size="sm">
            {appointment.doctor.name} · now {formatSpan(appointment.start, appointment.end)}
          </Text>
          {open && <SlotPicker doctorId={appointment.doctor.id} value={slot} onChange={setSlot} exclude={appointment.start} />}
          {move.isError && (
            <Alert color={isSlotConflict(move.error) ? 'orange' : 'red'} role="alert">
              {isSlotConflict(move.error) ? TAKEN : formErrorOf(move.error)}
            </Alert>
          )}
          {slot && (
            <Text size="sm">
              Move to <strong>{formatSpan(slot.start, slot.end)}</strong>?
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Keep the current time
            </Button>
            <Button disabled={!slot} loading={move.isPending} onClick={() => slot && move.mutate(slot)}>
              Move appointment
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  )
}

function AppointmentRow({ appointment: a, canManage }: { appointment: Appointment; canManage: boolean }) {
  return (
    <Card withBorder padding="sm" data-testid="appointment-row">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <div style={{ minWidth: 0 }}>
          <Group gap={6} wrap="nowrap">
            <Text fw={600} truncate>
              {a.doctor.name}
            </Text>
            <AppointmentStatusBadge status={a.status} />
          </Group>
          <Text size="sm">{formatSpan(a.start, a.end)}</Text>
          {a.reason && (
            <Text size="xs" c="dimmed">
              “{a.reason}”
            </Text>
          )}
        </div>
        {canManage && isOpenAppointment(a) && (
          <Group gap="xs">
            <RescheduleButton appointment={a} />
            <CancelAppointmentButton appointment={a} withWhom={a.doctor.name} />
          </Group>
        )}
      </Group>
    </Card>
  )
}

function AppointmentList({ title, query, items, empty, canManage }: { title: string; query: UseQueryResult<unknown>; items: Appointment[]; empty: string; canManage: boolean }) {
  return (
    <Section title={title}>
      <QueryState query={query} isEmpty={() => items.length === 0} empty={empty}>
        {() => (
          <Stack gap="xs">
            {items.map((a) => (
              <AppointmentRow key={a.id} appointment={a} canManage={canManage} />
            ))}
          </Stack>
        )}
      </QueryState>
    </Section>
  )
}

export default function AppointmentsPage() {
  const { pid, isOwn, canManage, name } = useLocker()
  const list = useQuery({
    queryKey: queryKeys.appointmentList(pid, {}),
    queryFn: () => listAppointments(pid, {}),
    refetchInterval: 30_000,
  })
  const now = new Date()
  const items = list.data?.items ?? []
  const upcoming = items.filter((a) => isOpenAppointment(a, now)).sort((x, y) => x.start.localeCompare(y.start))
  const past = items.filter((a) => !isOpenAppointment(a, now)).sort((x, y) => y.start.localeCompare(x.start))
  return (
    <Page title={isOwn ? 'Appointments' : `Appointments of ${name ?? 'this patient'}`}>
      <Stack gap="md">
        <AppointmentList title="Upcoming" query={list} items={upcoming} empty="No upcoming appointments." canManage={canManage} />
        {canManage && <BookAppointment pid={pid} isOwn={isOwn} />}
        <AppointmentList title="Past and cancelled" query={list} items={past} empty="None yet." canManage={false} />
      </Stack>
    </Page>
  )
}
