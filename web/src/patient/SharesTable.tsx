/**
 * A patient's share links (SPEC §4.5) as a table, with revoke while active: every link
 * (the Shared links page, with the record's name) or one record's (the share dialog).
 */
import { Button } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { ShareLink } from '../api/types'
import { actionsColumn, DataTable, StatusBadge, type Column } from '../components/DataTable'
import { formatDateTime } from '../components/format'
import { useLocker } from './locker'

/** The patient's share links (the newest 100). */
/** The share links of the locker shown (one's own, or with `patientId` a patient one manages: SPEC §10). */
export function useShares() {
  const { pid, canManage } = useLocker()
  const query = pid === 'me' ? { limit: 100 } : { limit: 100, patientId: pid }
  // A `read` caregiver never manages share links (SPEC §10): nothing to ask.
  return useQuery({ queryKey: [...queryKeys.shares, pid], queryFn: () => unwrap(api.GET('/api/v1/shares', { params: { query } })), enabled: canManage })
}

function RevokeButton({ share }: { share: ShareLink }) {
  const qc = useQueryClient()
  const revoke = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/shares/{id}', { params: { path: { id: share.id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.shares }),
  })
  if (share.status !== 'active') return null
  return (
    <Button size="xs" color="red" variant="light" loading={revoke.isPending} onClick={() => revoke.mutate()}>
      Revoke
    </Button>
  )
}

const created: Column<ShareLink> = { header: 'Created', cell: (s) => formatDateTime(s.createdAt) }
const expires: Column<ShareLink> = { header: 'Expires', cell: (s) => formatDateTime(s.expiresAt) }
const views: Column<ShareLink> = {
  header: 'Views',
  cell: (s) => (
    <>
      {s.views}
      {s.maxViews ? ` / ${s.maxViews}` : ''}
    </>
  ),
}
const status: Column<ShareLink> = { header: 'Status', cell: (s) => <StatusBadge status={s.status} /> }
const revoke = actionsColumn<ShareLink>((s) => <RevokeButton share={s} />)

/**
 * `links` as a table. With `recordName`, every link with its record, passcode and last
 * view (the Shared links page); without, one record's links (the share dialog).
 */
export function SharesTable({ links, recordName }: { links: readonly ShareLink[]; recordName?: (recordId: string) => string }) {
  const columns: Column<ShareLink>[] = recordName
    ? [
        { header: 'Record', cell: (s) => recordName(s.recordId) },
        created,
        expires,
        { header: 'Passcode', cell: (s) => (s.passcodeRequired ? 'Yes' : 'No') },
        views,
        { header: 'Last viewed', cell: (s) => formatDateTime(s.lastViewedAt) },
        status,
        revoke,
      ]
    : [created, expires, views, status, revoke]
  return <DataTable striped highlightOnHover={recordName !== undefined} rows={links} columns={columns} rowKey={(s) => s.id} />
}
