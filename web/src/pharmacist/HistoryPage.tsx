/** The pharmacist's own dispensations and rejections (SPEC §4.9 `GET /pharmacy/history`). */
import { Badge, Button, Group, SimpleGrid, Table, TextInput } from '@mantine/core'
import { useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { get } from '../api/client'
import type { HistoryEntry, Page as PageOf } from '../api/types'
import { formatDateTime } from '../components/format'
import { Page } from '../components/Page'
import { Empty, ErrorState, Loading } from '../components/states'

export default function HistoryPage() {
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const filters = { from: from || undefined, to: to || undefined }
  const history = useInfiniteQuery({
    queryKey: ['pharmacy-history', filters],
    queryFn: ({ pageParam, signal }) => get<PageOf<HistoryEntry>>('/pharmacy/history', { ...filters, limit: 50, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.nextCursor,
  })
  const items = history.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <Page title="History">
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" maw={520}>
        <TextInput label="From" type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        <TextInput label="To" type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
      </SimpleGrid>
      {history.isPending ? (
        <Loading />
      ) : history.isError ? (
        <ErrorState error={history.error} onRetry={() => void history.refetch()} />
      ) : items.length === 0 ? (
        <Empty>Nothing dispensed or rejected in this period.</Empty>
      ) : (
        <div className="table-scroll">
          <Table striped aria-label="Dispensations and rejections">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Prescription</Table.Th>
                <Table.Th>What</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((h) => (
                <Table.Tr key={`${h.kind}-${h.id}`}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(h.at)}</Table.Td>
                  <Table.Td>{h.prescriptionNumber}</Table.Td>
                  <Table.Td>
                    <Badge color={h.kind === 'rejection' ? 'red' : 'teal'} variant="light">
                      {h.kind === 'rejection' ? 'Rejected' : 'Dispensed'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {h.kind === 'rejection'
                      ? h.reason
                      : (h.items ?? []).map((i) => `${i.quantity} × ${i.medicineName} (batch ${i.batchNumber})`).join('; ')}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
      )}
      {history.hasNextPage && (
        <Group justify="center">
          <Button variant="default" onClick={() => void history.fetchNextPage()} loading={history.isFetchingNextPage}>
            Load more
          </Button>
        </Group>
      )}
    </Page>
  )
}
