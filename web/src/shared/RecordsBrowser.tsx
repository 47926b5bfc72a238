/**
 * A patient's records (SPEC §4.3): filters and search, newest first with "load more"
 * (keyset cursor), preview, download, and — for the patient — share and delete.
 * Used by the patient (pid `me`) and by a consenting doctor (the patient's id).
 */
import { ActionIcon, Badge, Button, Card, Group, Menu, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core'
import { useDebouncedValue } from '@mantine/hooks'
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { RECORD_CATEGORIES, type MedicalRecord, type RecordCategory } from '../api/types'
import { DateRangeFields } from '../components/fields'
import { formatDate, formatSize, humanize } from '../components/format'
import { Empty, ErrorState, Loading, LoadMore } from '../components/states'
import { RecordPreview } from './RecordPreview'

export const CATEGORY_OPTIONS = RECORD_CATEGORIES.map((c) => ({ value: c, label: humanize(c) }))

export function RecordsBrowser({
  pid,
  onShare,
  canDelete = false,
}: {
  pid: string
  onShare?: (record: MedicalRecord) => void
  canDelete?: boolean
}) {
  const qc = useQueryClient()
  const [category, setCategory] = useState<string | null>(null)
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [search, setSearch] = useState('')
  const [q] = useDebouncedValue(search.trim(), 300)
  const [preview, setPreview] = useState<MedicalRecord | null>(null)

  const filters = { category: (category ?? undefined) as RecordCategory | undefined, from: from || undefined, to: to || undefined, q: q || undefined }
  const list = useInfiniteQuery({
    queryKey: queryKeys.recordList(pid, filters),
    queryFn: ({ pageParam, signal }) =>
      unwrap(api.GET('/api/v1/patients/{pid}/records', { params: { path: { pid }, query: { ...filters, limit: 20, cursor: pageParam ?? undefined } }, signal })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  })

  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/patients/{pid}/records/{id}', { params: { path: { pid, id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.records(pid) }),
  })

  const items = list.data?.pages.flatMap((p) => p.items) ?? []
  const filtered = Boolean(category || from || to || q)

  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="xs">
        <TextInput label="Search" placeholder="Title, doctor, file name…" type="search" value={search} onChange={(e) => setSearch(e.currentTarget.value)} />
        <Select label="Category" placeholder="All categories" data={CATEGORY_OPTIONS} value={category} onChange={setCategory} clearable />
        <DateRangeFields from={from} to={to} onFrom={setFrom} onTo={setTo} />
      </SimpleGrid>
      {remove.isError && <ErrorState error={remove.error} title="Could not delete the record" />}
      {list.isPending ? (
        <Loading label="Loading records…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{filtered ? 'No records match these filters.' : 'No records yet.'}</Empty>
      ) : (
        <Stack gap="xs" aria-label="Records" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {items.map((r) => (
            <Card key={r.id} withBorder padding="sm" component="li" data-testid="record-row">
              <Group justify="space-between" wrap="wrap" align="flex-start" gap="xs">
                <Stack gap={2} style={{ minWidth: 0, flex: '1 1 220px' }}>
                  {/* The date sits beside the title: imported notes often share one title
                      ("History and physical note") and differ only by date. */}
                  <Group gap={8} wrap="nowrap" align="baseline">
                    <Text fw={600} truncate style={{ minWidth: 0 }}>
                      {r.title ?? r.fileName}
                    </Text>
                    <Text size="sm" c="dimmed" style={{ flexShrink: 0, whiteSpace: 'nowrap' }}>
                      {formatDate(r.recordDate)}
                    </Text>
                  </Group>
                  <Group gap={6}>
                    <Badge variant="light" size="sm">
                      {humanize(r.category)}
                    </Badge>
                    <Text size="xs" c="dimmed">
                      {formatSize(r.sizeBytes)}
                      {r.doctorName ? ` · ${r.doctorName}` : ''}
                      {r.source === 'import' ? ' · imported' : ''}
                    </Text>
                  </Group>
                  <Text size="xs" c="dimmed" truncate>
                    {r.fileName}
                    {/* An upload's own name, when the stored one differs (an import's is a FHIR id, not shown). */}
                    {r.source === 'upload' && r.originalFileName && r.originalFileName !== r.fileName ? ` (uploaded as ${r.originalFileName})` : ''}
                  </Text>
                </Stack>
                <Group gap={6} wrap="nowrap">
                  <Button size="xs" variant="light" onClick={() => setPreview(r)} aria-label={`Open ${r.title ?? r.fileName}`}>
                    Open
                  </Button>
                  {onShare && (
                    <Button size="xs" variant="default" onClick={() => onShare(r)} aria-label={`Share ${r.title ?? r.fileName}`}>
                      Share
                    </Button>
                  )}
                  {canDelete && (
                    <Menu position="bottom-end" withinPortal>
                      <Menu.Target>
                        <ActionIcon variant="subtle" color="gray" aria-label={`More actions for ${r.title ?? r.fileName}`}>
                          <span aria-hidden>⋯</span>
                        </ActionIcon>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item
                          color="red"
                          onClick={() => {
                            if (window.confirm(`Delete ${r.title ?? r.fileName}? Its share links stop working.`)) remove.mutate(r.id)
                          }}
                        >
                          Delete
                        </Menu.Item>
                      </Menu.Dropdown>
                    </Menu>
                  )}
                </Group>
              </Group>
            </Card>
          ))}
        </Stack>
      )}
      <LoadMore query={list} />
      <RecordPreview pid={pid} record={preview} onClose={() => setPreview(null)} />
    </Stack>
  )
}
