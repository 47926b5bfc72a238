/** A searchable picker of organizations (SPEC §10 `GET /organizations?q`): the value is an organization id or null. */
import { Select } from '@mantine/core'
import { useDebouncedValue } from '@mantine/hooks'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'

export function OrganizationSelect({
  label,
  value,
  onChange,
  current,
  placeholder = 'Any organization',
  error,
}: {
  label: string
  value: string | null
  onChange: (id: string | null) => void
  /** The organization chosen so far, shown even when the search does not list it. */
  current?: { id: string; name: string } | undefined
  placeholder?: string
  error?: string | undefined
}) {
  const [search, setSearch] = useState('')
  const [q] = useDebouncedValue(search.trim(), 300)
  const orgs = useQuery({
    queryKey: queryKeys.organizations({ q }),
    queryFn: () => unwrap(api.GET('/api/v1/organizations', { params: { query: { limit: 50, ...(q ? { q } : {}) } } })),
  })
  const items = orgs.data?.items ?? []
  const data = [...(current && !items.some((o) => o.id === current.id) ? [current] : []), ...items].map((o) => ({ value: o.id, label: o.name }))
  return (
    <Select
      label={label}
      placeholder={placeholder}
      searchable
      clearable
      data={data}
      value={value}
      onChange={onChange}
      onSearchChange={setSearch}
      nothingFoundMessage={orgs.isLoading ? 'Loading…' : 'No organization matches.'}
      error={error}
    />
  )
}
