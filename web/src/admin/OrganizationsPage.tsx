/** Organizations (SPEC §10): hospitals, clinics, pharmacies and laboratories — search, create, edit (admins). */
import { Alert, Button, Card, Group, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core'
import { useDebouncedValue } from '@mantine/hooks'
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { Organization } from '../api/types'
import { PagedTable, actionsColumn } from '../components/DataTable'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { Page } from '../components/Page'

const TYPE_LABEL: Record<Organization['type'], string> = { hospital: 'Hospital', clinic: 'Clinic', pharmacy: 'Pharmacy', laboratory: 'Laboratory' }
const TYPES = Object.entries(TYPE_LABEL).map(([value, label]) => ({ value, label }))

/** Create (no `org`) or edit (`org`) form. */
function OrganizationForm({ org, onDone }: { org?: Organization; onDone: () => void }) {
  const qc = useQueryClient()
  const [name, setName] = useState(org?.name ?? '')
  const [type, setType] = useState<Organization['type']>(org?.type ?? 'clinic')
  const [address, setAddress] = useState(org?.address ?? '')
  const [phone, setPhone] = useState(org?.phone ?? '')
  const [errors, setErrors] = useState<FieldErrors>({})
  const save = useMutation({
    mutationFn: () =>
      org
        ? unwrap(api.PATCH('/api/v1/admin/organizations/{id}', { params: { path: { id: org.id } }, body: { name: name.trim(), type, address: address.trim() || null, phone: phone.trim() || null } }))
        : unwrap(api.POST('/api/v1/admin/organizations', { body: { name: name.trim(), type, ...(address.trim() ? { address: address.trim() } : {}), ...(phone.trim() ? { phone: phone.trim() } : {}) } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['organizations'] })
      if (!org) {
        setName('')
        setAddress('')
        setPhone('')
      }
      onDone()
    },
    onError: (err) => {
      const fields = fieldErrorsOf(err)
      if ((err as { status?: number }).status === 409) fields['/name'] = 'An organization of this name exists already.'
      setErrors(fields)
    },
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!name.trim()) return setErrors({ '/name': 'Enter a name.' })
    setErrors({})
    save.mutate()
  }
  return (
    <form onSubmit={submit} noValidate aria-label={org ? `Edit ${org.name}` : 'New organization'}>
      <Stack gap="xs">
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
          <TextInput label="Name" required maxLength={200} value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors['/name']} />
          <Select label="Type" data={TYPES} value={type} onChange={(v) => v && setType(v as Organization['type'])} allowDeselect={false} />
          <TextInput label="Address" maxLength={500} value={address} onChange={(e) => setAddress(e.currentTarget.value)} error={errors['/address']} />
          <TextInput label="Phone" maxLength={40} value={phone} onChange={(e) => setPhone(e.currentTarget.value)} error={errors['/phone']} />
        </SimpleGrid>
        {save.isError && Object.keys(errors).length === 0 && <Alert color="red" role="alert">{formErrorOf(save.error)}</Alert>}
        <Group justify="flex-end">
          {org && <Button variant="default" onClick={onDone}>Cancel</Button>}
          <Button type="submit" loading={save.isPending}>{org ? 'Save' : 'Create'}</Button>
        </Group>
      </Stack>
    </form>
  )
}

export default function OrganizationsPage() {
  const [search, setSearch] = useState('')
  const [type, setType] = useState<string | null>(null)
  const [q] = useDebouncedValue(search.trim(), 300)
  const [editing, setEditing] = useState<Organization | null>(null)
  const filters = { ...(q ? { q } : {}), ...(type ? { type: type as Organization['type'] } : {}) }
  const orgs = useInfiniteQuery({
    queryKey: queryKeys.organizations({ ...filters, paged: true }),
    queryFn: ({ pageParam, signal }) => unwrap(api.GET('/api/v1/organizations', { params: { query: { ...filters, limit: 50, cursor: pageParam ?? undefined } }, signal })),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.nextCursor,
  })
  const items = orgs.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <Page title="Organizations">
      <Card withBorder>
        <Title order={3} size="h5" mb="xs">
          {editing ? `Edit ${editing.name}` : 'New organization'}
        </Title>
        {editing ? <OrganizationForm key={editing.id} org={editing} onDone={() => setEditing(null)} /> : <OrganizationForm onDone={() => undefined} />}
      </Card>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
        <TextInput label="Search" placeholder="Name" type="search" value={search} onChange={(e) => setSearch(e.currentTarget.value)} />
        <Select label="Type" placeholder="All types" clearable data={TYPES} value={type} onChange={setType} />
      </SimpleGrid>
      <PagedTable
        query={orgs}
        items={items}
        empty="No organizations match."
        striped
        aria-label="Organizations"
        rowKey={(o) => o.id}
        columns={[
          { header: 'Name', cell: (o) => <Text size="sm" fw={600}>{o.name}</Text> },
          { header: 'Type', cell: (o) => TYPE_LABEL[o.type] },
          { header: 'Contact', cell: (o) => <Text size="xs">{[o.address, o.phone].filter(Boolean).join(' · ') || '—'}</Text> },
          actionsColumn<Organization>((o) => (
            <Button size="xs" variant="light" onClick={() => setEditing(o)} aria-label={`Edit ${o.name}`}>
              Edit
            </Button>
          )),
        ]}
      />
    </Page>
  )
}
