/**
 * Pieces both sides of an appointment use (SPEC §10): its status badge, and "Cancel" with a
 * confirmation dialog (either side may cancel; both get an email with an `.ics`).
 */
import { Badge, Button, Group, Modal, Stack, Text } from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { queryKeys } from '../api/query-keys'
import { formatSpan } from './appointment-time'
import type { Appointment, AppointmentStatus } from '../api/types'
import { cancelAppointment } from './appointments-api'
import { ErrorState } from '../components/states'

const STATUS: Record<AppointmentStatus, { label: string; color: string }> = {
  booked: { label: 'Booked', color: 'teal' },
  cancelled: { label: 'Cancelled', color: 'red' },
  completed: { label: 'Completed', color: 'gray' },
  noshow: { label: 'No-show', color: 'orange' },
}

export function AppointmentStatusBadge({ status }: { status: AppointmentStatus }) {
  const s = STATUS[status]
  return (
    <Badge variant="light" color={s.color} style={{ flexShrink: 0 }}>
      {s.label}
    </Badge>
  )
}

/** True while an appointment can still be cancelled or moved: booked and not yet over. */
export const isOpenAppointment = (a: Appointment, now = new Date()): boolean => a.status === 'booked' && new Date(a.end) > now

/** Refreshes every appointment list and slot query after a change. */
export function useRefreshAppointments(): () => void {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: queryKeys.appointments })
    void qc.invalidateQueries({ queryKey: queryKeys.slots })
  }
}

/** "Cancel" and its dialog; `withWhom` names the other side ("Dr. Ana Ruiz", "Marcos Delagarza"). */
export function CancelAppointmentButton({ appointment, withWhom }: { appointment: Appointment; withWhom: string }) {
  const [open, setOpen] = useState(false)
  const refresh = useRefreshAppointments()
  const cancel = useMutation({
    mutationFn: () => cancelAppointment(appointment.id),
    onSuccess: () => {
      setOpen(false)
      refresh()
    },
  })
  return (
    <>
      <Button size="xs" color="red" variant="light" onClick={() => setOpen(true)} aria-label={`Cancel the appointment with ${withWhom}`}>
        Cancel
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="Cancel this appointment?">
        <Stack>
          <Text size="sm">
            {withWhom} · {formatSpan(appointment.start, appointment.end)}. Both of you get an email saying it is cancelled.
          </Text>
          {cancel.isError && <ErrorState error={cancel.error} title="Could not cancel" />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Keep it
            </Button>
            <Button color="red" loading={cancel.isPending} onClick={() => cancel.mutate()}>
              Cancel appointment
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  )
}
