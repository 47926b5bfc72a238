/** Prescriptions the doctor issued (SPEC §4.9), with cancel while active. */
import { Button, SegmentedControl, Stack } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { PrescriptionStatus } from '../api/types'
import { Page } from '../components/Page'
import { ErrorState, QueryState } from '../components/states'
import { PrescriptionCard } from '../shared/PrescriptionCard'

export default function IssuedPrescriptions() {
  const qc = useQueryClient()
  const [status, setStatus] = useState('all')
  const list = useQuery({
    queryKey: queryKeys.prescriptionList({ status, limit: 100 }),
    queryFn: () => unwrap(api.GET('/api/v1/prescriptions', { params: { query: { status: status === 'all' ? undefined : (status as PrescriptionStatus), limit: 100 } } })),
  })
  const cancel = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/prescriptions/{id}/cancel', { params: { path: { id } }, body: {} })),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.prescriptions }),
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
