/** Accounts (SPEC §4.1 Admin): verify pending doctors and pharmacists, disable and enable accounts. */
import { Badge, Button, Group, Select, SimpleGrid, Table, Text, TextInput } from '@mantine/core'
import { useDebouncedValue } from '@mantine/hooks'
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { get, post } from '../api/client'
import type { Page as PageOf, User } from '../api/types'
import { ROLE_LABEL } from '../auth'
import { formatDate, STATUS_COLOR } from '../components/format'
import { Page } from '../components/Page'
import { Empty, ErrorState, Loading } from '../components/states'

export function UsersPage() {
  const qc = useQueryClient()
  const [role, setRole] = useState<string | null>(null)
  const [status, setStatus] = useState<string | null>('pending')
  const [search, setSearch] = useState('')
  const [q] = useDebouncedValue(search.trim(), 300)
  const filters = { role: role ?? undefined, status: status ?? undefined, q: q || undefined }
  const users = useInfiniteQuery({
    queryKey: ['admin-users', filters],
    queryFn: ({ pageParam, signal }) => get<PageOf<User>>('/admin/users', { ...filters, limit: 50, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.nextCursor,
  })
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'verify' | 'disable' | 'enable' }) => post<User>(`/admin/users/${id}/${action}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['admin-users'] }),
  })
  const items = users.data?.pages.flatMap((p) => p.items) ?? []

  return (
    <Page title="Accounts">
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
        <TextInput label="Search" placeholder="Name or email" type="search" value={search} onChange={(e) => setSearch(e.currentTarget.value)} />
        <Select
          label="Role"
          placeholder="All roles"
          clearable
          value={role}
          onChange={setRole}
          data={Object.entries(ROLE_LABEL).map(([value, label]) => ({ value, label }))}
        />
        <Select
          label="Status"
          placeholder="Any status"
          clearable
          value={status}
          onChange={setStatus}
          data={[
            { value: 'pending', label: 'Pending verification' },
            { value: 'active', label: 'Active' },
            { value: 'disabled', label: 'Disabled' },
          ]}
        />
      </SimpleGrid>
      {act.isError && <ErrorState error={act.error} title="That did not work" />}
      {users.isPending ? (
        <Loading />
      ) : users.isError ? (
        <ErrorState error={users.error} onRetry={() => void users.refetch()} />
      ) : items.length === 0 ? (
        <Empty>No accounts match.</Empty>
      ) : (
        <div className="table-scroll">
          <Table striped aria-label="Accounts">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Licence</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Since</Table.Th>
                <Table.Th>
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((u) => (
                <Table.Tr key={u.id} data-testid="user-row">
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {u.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {u.email}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {ROLE_LABEL[u.role]}
                    {u.doctor ? <Text size="xs" c="dimmed">{u.doctor.specialty}{u.doctor.organization ? `, ${u.doctor.organization}` : ''}</Text> : null}
                    {u.pharmacist ? <Text size="xs" c="dimmed">{u.pharmacist.pharmacyName}</Text> : null}
                  </Table.Td>
                  <Table.Td>{u.doctor?.licenseNumber ?? u.pharmacist?.licenseNumber ?? '—'}</Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLOR[u.status]} variant="light">
                      {u.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{formatDate(u.createdAt)}</Table.Td>
                  <Table.Td>
                    <Group gap={6} wrap="nowrap">
                      {u.status === 'pending' && (
                        <Button size="xs" onClick={() => act.mutate({ id: u.id, action: 'verify' })} aria-label={`Verify ${u.name}`}>
                          Verify
                        </Button>
                      )}
                      {u.status !== 'disabled' && u.role !== 'admin' && (
                        <Button
                          size="xs"
                          color="red"
                          variant="light"
                          aria-label={`Disable ${u.name}`}
                          onClick={() => {
                            if (window.confirm(`Disable ${u.name}? Their sessions end at once.`)) act.mutate({ id: u.id, action: 'disable' })
                          }}
                        >
                          Disable
                        </Button>
                      )}
                      {u.status === 'disabled' && (
                        <Button size="xs" variant="light" onClick={() => act.mutate({ id: u.id, action: 'enable' })} aria-label={`Enable ${u.name}`}>
                          Enable
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
      )}
      {users.hasNextPage && (
        <Group justify="center">
          <Button variant="default" onClick={() => void users.fetchNextPage()} loading={users.isFetchingNextPage}>
            Load more
          </Button>
        </Group>
      )}
    </Page>
  )
}
