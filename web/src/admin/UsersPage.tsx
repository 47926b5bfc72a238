/** Accounts (SPEC §4.1 Admin): verify pending doctors and pharmacists, disable and enable accounts. */
import { Button, Group, Modal, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core'
import { useDebouncedValue } from '@mantine/hooks'
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { UserFilters } from '../api/types'
import { ROLE_LABEL } from '../auth'
import { actionsColumn, PagedTable, StatusBadge } from '../components/DataTable'
import { formatDate } from '../components/format'
import { Page } from '../components/Page'
import { ErrorState } from '../components/states'
import { OrganizationSelect } from '../shared/OrganizationSelect'

type Member = { id: string; name: string; organization?: { id: string; name: string } | undefined }

/** Sets a doctor's or pharmacist's organization (SPEC §10 `PUT /admin/users/{id}/organization`). */
function OrganizationDialog({ member, onClose }: { member: Member; onClose: () => void }) {
  const qc = useQueryClient()
  const [value, setValue] = useState<string | null>(member.organization?.id ?? null)
  const save = useMutation({
    mutationFn: () => unwrap(api.PUT('/api/v1/admin/users/{id}/organization', { params: { path: { id: member.id } }, body: { organizationId: value } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.adminUsers })
      onClose()
    },
  })
  return (
    <Modal opened onClose={onClose} title={`Organization of ${member.name}`}>
      <Stack gap="sm">
        <OrganizationSelect label="Organization" placeholder="None" value={value} onChange={setValue} current={member.organization} />
        {save.isError && <ErrorState error={save.error} title="Could not save" />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button onClick={() => save.mutate()} loading={save.isPending}>Save</Button>
        </Group>
      </Stack>
    </Modal>
  )
}

export function UsersPage() {
  const qc = useQueryClient()
  const [role, setRole] = useState<string | null>(null)
  const [status, setStatus] = useState<string | null>('pending')
  const [search, setSearch] = useState('')
  const [q] = useDebouncedValue(search.trim(), 300)
  const filters: UserFilters = { role: (role ?? undefined) as UserFilters['role'], status: (status ?? undefined) as UserFilters['status'], q: q || undefined }
  const users = useInfiniteQuery({
    queryKey: queryKeys.adminUserList(filters),
    queryFn: ({ pageParam, signal }) => unwrap(api.GET('/api/v1/admin/users', { params: { query: { ...filters, limit: 50, cursor: pageParam ?? undefined } }, signal })),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.nextCursor,
  })
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'verify' | 'disable' | 'enable' }) => unwrap(api.POST(`/api/v1/admin/users/{id}/${action}`, { params: { path: { id } }, body: {} })),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.adminUsers }),
  })
  const items = users.data?.pages.flatMap((p) => p.items) ?? []
  const [member, setMember] = useState<Member | null>(null)

  return (
    <Page title="Accounts">
      {member && <OrganizationDialog member={member} onClose={() => setMember(null)} />}
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
      <PagedTable
        query={users}
        items={items}
        empty="No accounts match."
        striped
        aria-label="Accounts"
        rowKey={(u) => u.id}
        rowProps={() => ({ 'data-testid': 'user-row' })}
        columns={[
          {
            header: 'Name',
            cell: (u) => (
              <>
                <Text size="sm" fw={600}>
                  {u.name}
                </Text>
                <Text size="xs" c="dimmed">
                  {u.email}
                </Text>
              </>
            ),
          },
          {
            header: 'Role',
            cell: (u) => (
              <>
                {ROLE_LABEL[u.role]}
                {u.doctor ? <Text size="xs" c="dimmed">{u.doctor.specialty}{u.doctor.organization ? `, ${u.doctor.organization.name}` : ''}</Text> : null}
                {u.pharmacist ? <Text size="xs" c="dimmed">{u.pharmacist.pharmacyName}{u.pharmacist.organization ? `, ${u.pharmacist.organization.name}` : ''}</Text> : null}
              </>
            ),
          },
          { header: 'Licence', cell: (u) => u.doctor?.licenseNumber ?? u.pharmacist?.licenseNumber ?? '—' },
          { header: 'Status', cell: (u) => <StatusBadge status={u.status} /> },
          { header: 'Since', cell: (u) => formatDate(u.createdAt) },
          actionsColumn<(typeof items)[number]>((u) => (
            <Group gap={6} wrap="nowrap">
              {(u.role === 'doctor' || u.role === 'pharmacist') && (
                <Button
                  size="xs"
                  variant="default"
                  aria-label={`Organization of ${u.name}`}
                  onClick={() => setMember({ id: u.id, name: u.name, organization: u.doctor?.organization ?? u.pharmacist?.organization })}
                >
                  Organization
                </Button>
              )}
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
          )),
        ]}
      />
    </Page>
  )
}
