/** Consultations as a list with the actions each side may take (SPEC §4.8). */
import { Button, Card, Group, Stack, Text } from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { Consultation } from '../api/types'
import { StatusBadge } from '../components/DataTable'
import { formatDateTime, humanize } from '../components/format'
import { ErrorState } from '../components/states'

export function ConsultationList({ items, side }: { items: Consultation[]; side: 'patient' | 'doctor' }) {
  const qc = useQueryClient()
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'approve' | 'reject' | 'end' }) => unwrap(api.POST(`/api/v1/consultations/{id}/${action}`, { params: { path: { id } }, body: {} })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.consultations })
      void qc.invalidateQueries({ queryKey: queryKeys.doctorPatients })
    },
  })
  return (
    <Stack gap="xs">
      {act.isError && <ErrorState error={act.error} title="That did not work" />}
      {items.map((c) => {
        const other = side === 'patient' ? `${c.doctor.name} (${c.doctor.specialty})` : c.patient.name
        return (
          <Card key={c.id} withBorder padding="sm" data-testid="consultation-row">
            <Group justify="space-between" wrap="wrap" gap="xs">
              <div style={{ minWidth: 0 }}>
                <Group gap={6}>
                  <Text fw={600}>{other}</Text>
                  <StatusBadge status={c.status} label={humanize(c.status)} />
                </Group>
                <Text size="xs" c="dimmed">
                  Requested {formatDateTime(c.createdAt)}
                  {c.decidedAt ? ` · decided ${formatDateTime(c.decidedAt)}` : ''}
                </Text>
                {c.reason && <Text size="sm">“{c.reason}”</Text>}
              </div>
              <Group gap="xs">
                {side === 'doctor' && c.status === 'pending' && (
                  <>
                    <Button size="xs" onClick={() => act.mutate({ id: c.id, action: 'approve' })} loading={act.isPending && act.variables?.id === c.id && act.variables.action === 'approve'} aria-label={`Approve ${other}`}>
                      Approve
                    </Button>
                    <Button size="xs" color="red" variant="light" onClick={() => act.mutate({ id: c.id, action: 'reject' })} aria-label={`Reject ${other}`}>
                      Reject
                    </Button>
                  </>
                )}
                {side === 'patient' && c.status === 'pending' && (
                  <Button size="xs" variant="default" onClick={() => act.mutate({ id: c.id, action: 'end' })} aria-label={`Withdraw the request to ${other}`}>
                    Withdraw
                  </Button>
                )}
                {c.status === 'approved' && (
                  <Button
                    size="xs"
                    color="red"
                    variant="light"
                    onClick={() => {
                      if (window.confirm(side === 'patient' ? `End the consultation? ${c.doctor.name} loses access at once.` : 'End this consultation?')) act.mutate({ id: c.id, action: 'end' })
                    }}
                    aria-label={`End the consultation with ${other}`}
                  >
                    End
                  </Button>
                )}
              </Group>
            </Group>
          </Card>
        )
      })}
    </Stack>
  )
}
