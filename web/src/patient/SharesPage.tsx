/** Every share link the patient created (SPEC §4.5): status, views, revoke. Never the token again. */
import { Text } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { Page } from '../components/Page'
import { QueryState } from '../components/states'
import { SharesTable, useShares } from './SharesTable'
import { useLocker } from './locker'

export default function SharesPage() {
  const shares = useShares()
  const { pid } = useLocker()
  // Names for the records the links point to (the newest 100 cover almost every case).
  const records = useQuery({
    queryKey: queryKeys.recordList(pid, { limit: 100 }),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/records', { params: { path: { pid }, query: { limit: 100 } } })),
  })
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
        {(d) => <SharesTable links={d.items} recordName={nameOf} />}
      </QueryState>
    </Page>
  )
}
