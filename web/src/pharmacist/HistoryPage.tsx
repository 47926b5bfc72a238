/** The pharmacist's own dispensations and rejections (SPEC §4.9 `GET /pharmacy/history`). */
import { Badge, SimpleGrid } from '@mantine/core'
import { useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { PagedTable } from '../components/DataTable'
import { DateRangeFields } from '../components/fields'
import { formatDateTime } from '../components/format'
import { Page } from '../components/Page'

export default function HistoryPage() {
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const filters = { from: from || undefined, to: to || undefined }
  const history = useInfiniteQuery({
    queryKey: queryKeys.pharmacyHistory(filters),
    queryFn: ({ pageParam, signal }) => unwrap(api.GET('/api/v1/pharmacy/history', { params: { query: { ...filters, limit: 50, cursor: pageParam ?? undefined } }, signal })),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.nextCursor,
  })
  const items = history.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <Page title="History">
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" maw={520}>
        <DateRangeFields from={from} to={to} onFrom={setFrom} onTo={setTo} />
      </SimpleGrid>
      <PagedTable
        query={history}
        items={items}
        empty="Nothing dispensed or rejected in this period."
        striped
        aria-label="Dispensations and rejections"
        rowKey={(h) => `${h.kind}-${h.id}`}
        columns={[
          { header: 'When', cell: (h) => formatDateTime(h.at), style: { whiteSpace: 'nowrap' } },
          { header: 'Prescription', cell: (h) => h.prescriptionNumber },
          {
            header: 'What',
            cell: (h) => (
              <Badge color={h.kind === 'rejection' ? 'red' : 'teal'} variant="light">
                {h.kind === 'rejection' ? 'Rejected' : 'Dispensed'}
              </Badge>
            ),
          },
          {
            header: 'Details',
            cell: (h) =>
              h.kind === 'rejection' ? h.reason : (h.items ?? []).map((i) => `${i.quantity} × ${i.medicineName} (batch ${i.batchNumber})`).join('; '),
          },
        ]}
      />
    </Page>
  )
}
