/** Every share link the patient created (SPEC §4.5): status, views, revoke. Never the token again. */
import { Badge, Table, Text } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { get } from '../api/client'
import type { MedicalRecord, Page as PageOf } from '../api/types'
import { formatDateTime, STATUS_COLOR } from '../components/format'
import { Page } from '../components/Page'
import { QueryState } from '../components/states'
import { RevokeButton, useShares } from './ShareDialog'

export default function SharesPage() {
  const shares = useShares()
  // Names for the records the links point to (the newest 100 cover almost every case).
  const records = useQuery({ queryKey: ['records', 'me', 'names'], queryFn: () => get<PageOf<MedicalRecord>>('/patients/me/records', { limit: 100 }) })
  const nameOf = (id: string) => {
    const r = records.data?.items.find((x) => x.id === id)
    return r ? (r.title ?? r.fileName) : 'Record'
  }
  return (
    <Page title="Shared links">
      <Text size="sm" c="dimmed">
        Links you created to single records. A link's address is shown only once, when you create it.
      </Text>
      <QueryState query={shares} isEmpty={(d) => d.items.length === 0} empty="You have not shared any record. Use “Share” on a record.">
        {(d) => (
          <div className="table-scroll">
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Record</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>Passcode</Table.Th>
                  <Table.Th>Views</Table.Th>
                  <Table.Th>Last viewed</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {d.items.map((s) => (
                  <Table.Tr key={s.id}>
                    <Table.Td>{nameOf(s.recordId)}</Table.Td>
                    <Table.Td>{formatDateTime(s.createdAt)}</Table.Td>
                    <Table.Td>{formatDateTime(s.expiresAt)}</Table.Td>
                    <Table.Td>{s.passcodeRequired ? 'Yes' : 'No'}</Table.Td>
                    <Table.Td>
                      {s.views}
                      {s.maxViews ? ` / ${s.maxViews}` : ''}
                    </Table.Td>
                    <Table.Td>{formatDateTime(s.lastViewedAt)}</Table.Td>
                    <Table.Td>
                      <Badge color={STATUS_COLOR[s.status]} variant="light">
                        {s.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <RevokeButton share={s} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
        )}
      </QueryState>
    </Page>
  )
}
