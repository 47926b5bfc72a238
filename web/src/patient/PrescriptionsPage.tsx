/** The patient's prescriptions with their QR codes and reference numbers (SPEC §4.9). */
import { Button, Group, SegmentedControl, Stack, Text } from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { PrescriptionStatus } from '../api/types'
import { Page } from '../components/Page'
import { ErrorState, QueryState } from '../components/states'
import { PrescriptionCard } from '../shared/PrescriptionCard'
import { useLocker } from './locker'

function EmailAgain({ id }: { id: string }) {
  const send = useMutation({ mutationFn: () => unwrap(api.POST('/api/v1/prescriptions/{id}/email', { params: { path: { id } }, body: {} })) })
  return (
    <Group gap="xs">
      <Button size="xs" variant="default" onClick={() => send.mutate()} loading={send.isPending} disabled={send.isSuccess}>
        {send.isSuccess ? 'Email on its way' : 'Email it to me again'}
      </Button>
      {send.isError && <ErrorState error={send.error} title="Could not send" />}
    </Group>
  )
}

export default function PrescriptionsPage() {
  const [status, setStatus] = useState('active')
  const { pid, isOwn } = useLocker()
  const list = useQuery({
    queryKey: queryKeys.prescriptionList({ pid, status, limit: 50 }),
    queryFn: () =>
      unwrap(api.GET('/api/v1/patients/{pid}/prescriptions', { params: { path: { pid }, query: { status: status === 'all' ? undefined : (status as PrescriptionStatus), limit: 50 } } })),
  })
  return (
    <Page title="Prescriptions">
      <Text size="sm" c="dimmed">
        Show the QR code at the pharmacy, or read out the reference number. The code holds no personal data.
      </Text>
      <SegmentedControl
        value={status}
        onChange={setStatus}
        data={[
          { value: 'active', label: 'Active' },
          { value: 'partially_dispensed', label: 'Partly dispensed' },
          { value: 'all', label: 'All' },
        ]}
        aria-label="Which prescriptions"
      />
      <QueryState query={list} isEmpty={(d) => d.items.length === 0} empty="No prescriptions here.">
        {(d) => (
          <Stack gap="md">
            {d.items.map((rx) => (
              <PrescriptionCard key={rx.id} rx={rx} showQr={isOwn && rx.qr !== null} showPatient={false} actions={isOwn ? <EmailAgain id={rx.id} /> : undefined} />
            ))}
          </Stack>
        )}
      </QueryState>
    </Page>
  )
}
