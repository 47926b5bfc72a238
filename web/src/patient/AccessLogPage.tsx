/** Who looked at or changed my data (SPEC §4.7 `GET /patients/me/audit`). */
import { Badge, Button, SimpleGrid, Text, TextInput } from '@mantine/core'
import { useInfiniteQuery, useQueries } from '@tanstack/react-query'
import { useState } from 'react'
import type { EventCheck } from './verify-event'
import { api, ApiError, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { AuditEvent } from '../api/types'
import { PagedTable } from '../components/DataTable'
import { DateRangeFields } from '../components/fields'
import { formatDateTime } from '../components/format'
import { Page } from '../components/Page'
import { describeAuditAction, describeAuditResource } from './audit-words'

const KIND_COLOR: Record<string, string> = { share: 'violet', emergency: 'red', doctor: 'blue', pharmacist: 'cyan', patient: 'gray', admin: 'orange', system: 'gray' }

/**
 * "Check": proves in this browser that the event is in the signed log (verify-event.ts),
 * loaded on first use so the page itself stays small.
 */
function EventProof({ event }: { event: AuditEvent }) {
  const [state, setState] = useState<{ checking: boolean; result?: EventCheck; error?: string }>({ checking: false })
  const check = async () => {
    setState({ checking: true })
    try {
      const { checkEvent } = await import('./verify-event')
      setState({ checking: false, result: await checkEvent(event) })
    } catch (err) {
      setState({ checking: false, error: err instanceof Error ? err.message : 'The check could not run.' })
    }
  }
  if (state.result?.ok) {
    return (
      <Text size="xs" c="teal.8" fw={600} title={`Tree of ${state.result.treeSize} events, signed ${formatDateTime(state.result.signedAt)} (key ${state.result.kid})`}>
        ✓ In the signed log
      </Text>
    )
  }
  if (state.result || state.error) {
    return (
      <Text size="xs" c="red" role="alert">
        {state.result && !state.result.ok ? state.result.reason : state.error}
      </Text>
    )
  }
  return (
    <Button size="compact-xs" variant="default" loading={state.checking} onClick={() => void check()} aria-label={`Check that event ${event.seq} is in the signed log`}>
      Check
    </Button>
  )
}

export default function AccessLogPage() {
  const [action, setAction] = useState('')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const validAction = /^[a-z][a-z_-]*\.[a-z][a-z_]*$/.test(action.trim())
  const filters = { action: validAction ? action.trim() : undefined, from: from || undefined, to: to || undefined }
  const log = useInfiniteQuery({
    queryKey: queryKeys.audit(filters),
    queryFn: ({ pageParam, signal }) => unwrap(api.GET('/api/v1/patients/{pid}/audit', { params: { path: { pid: 'me' }, query: { ...filters, limit: 50, cursor: pageParam ?? undefined } }, signal })),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.nextCursor,
  })
  const items = log.data?.pages.flatMap((p) => p.items) ?? []
  // Name the records the events are about: one look-up per distinct record (the patient's own
  // reads are not audited); a 404 means the record has since been deleted.
  const recordIds = [...new Set(items.filter((e) => e.resource.type === 'record').map((e) => e.resource.id))]
  const records = useQueries({
    queries: recordIds.map((id) => ({
      queryKey: queryKeys.auditRecord(id),
      queryFn: ({ signal }: { signal: AbortSignal }) => unwrap(api.GET('/api/v1/patients/{pid}/records/{id}', { params: { path: { pid: 'me', id } }, signal })),
      staleTime: 5 * 60_000,
      retry: (count: number, err: Error) => !(err instanceof ApiError && err.status === 404) && count < 2,
    })),
  })
  const recordName = (id: string): string => {
    const q = records[recordIds.indexOf(id)]
    if (q?.data) return q.data.title ?? q.data.originalFileName ?? q.data.fileName
    if (q?.error instanceof ApiError && q.error.status === 404) return 'A record that was deleted'
    return 'A record'
  }
  return (
    <Page title="Access log">
      <Text size="sm" c="dimmed">
        Every view or change of your data by someone else, every share-link and emergency access, and your sign-ins. “Check” proves, in this
        browser, that an event is in the log the server signed, so it cannot be changed or removed later without that showing.
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
        <TextInput
          label="Action"
          placeholder="e.g. record.viewed"
          value={action}
          onChange={(e) => setAction(e.currentTarget.value)}
          error={action.trim() && !validAction ? 'Use an action name such as record.viewed.' : undefined}
        />
        <DateRangeFields from={from} to={to} onFrom={setFrom} onTo={setTo} />
      </SimpleGrid>
      <PagedTable
        query={log}
        items={items}
        empty="No events."
        striped
        aria-label="Access events"
        rowKey={(e) => e.seq}
        columns={[
          { header: 'When', cell: (e) => formatDateTime(e.at), style: { whiteSpace: 'nowrap' } },
          {
            header: 'Who',
            cell: (e) => (
              <>
                <Badge size="xs" variant="light" color={KIND_COLOR[e.actor.kind] ?? 'gray'}>
                  {e.actor.kind}
                </Badge>{' '}
                {e.actor.name ?? ''}
              </>
            ),
          },
          { header: 'What', cell: (e) => describeAuditAction(e.action) },
          { header: 'Item', cell: (e) => (e.resource.type === 'record' ? recordName(e.resource.id) : describeAuditResource(e.resource.type)) },
          { header: 'From', cell: (e) => e.ip ?? '—' },
          { header: 'Proof', cell: (e) => <EventProof event={e} /> },
        ]}
      />
    </Page>
  )
}
