/** Prescriptions the doctor issued (SPEC §4.9), with cancel while active. */
import { Button, SegmentedControl, Stack } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { get, post } from '../api/client'
import type { Page as PageOf, Prescription } from '../api/types'
import { Page } from '../components/Page'
import { ErrorState, QueryState } from '../components/states'
import { PrescriptionCard } from '../shared/PrescriptionCard'

export default function IssuedPrescriptions() {
  const qc = useQueryClient()
  const [status, setStatus] = useState('all')
  const list = useQuery({
    queryKey: ['prescriptions', 'issued', status],
    queryFn: () => get<PageOf<Prescription>>('/prescriptions', { status: status === 'all' ? undefined : status, limit: 100 }),
  })
  const cancel = useMutation({
    mutationFn: (id: string) => post<Prescription>(`/prescriptions/${id}/cancel`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['prescriptions'] }),
  })
  return (
    <Page title="Issued prescriptions">
      <SegmentedControl
        value={status}
        onChange={setStatus}
        aria-label="Which prescriptions"
        data={[
          { value: 'all', label: 'All' },
          { value: 'active', label: 'Active' },
          { value: 'dispensed', label: 'Dispensed' },
        ]}
      />
      {cancel.isError && <ErrorState error={cancel.error} title="Could not cancel" />}
      <QueryState query={list} isEmpty={(d) => d.items.length === 0} empty="No prescriptions.">
        {(d) => (
          <Stack gap="md">
            {d.items.map((rx) => (
              <PrescriptionCard
                key={rx.id}
                rx={rx}
                actions={
                  rx.status === 'active' && (
                    <div>
                      <Button
                        size="xs"
                        color="red"
                        variant="light"
                        loading={cancel.isPending && cancel.variables === rx.id}
                        onClick={() => {
                          if (window.confirm(`Cancel ${rx.prescriptionNumber}? Pharmacies will refuse it.`)) cancel.mutate(rx.id)
                        }}
                      >
                        Cancel prescription
                      </Button>
                    </div>
                  )
                }
              />
            ))}
          </Stack>
        )}
      </QueryState>
    </Page>
  )
}
