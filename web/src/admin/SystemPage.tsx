/** Job queue status (SPEC §5) and the audit log's hash-chain check (SPEC §4.7). */
import { Alert, Badge, Button, Card, Code, Group, Stack, Text, Title } from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { DataTable } from '../components/DataTable'
import { Page } from '../components/Page'
import { ErrorState, QueryState } from '../components/states'

export function SystemPage() {
  const jobs = useQuery({ queryKey: queryKeys.adminJobs, queryFn: () => unwrap(api.GET('/api/v1/admin/jobs')), refetchInterval: 10_000 })
  const verify = useMutation({ mutationFn: () => unwrap(api.GET('/api/v1/admin/audit/verify')) })
  return (
    <Page title="Jobs and audit">
      <Card withBorder component="section" aria-label="Job queue">
        <Group justify="space-between" mb="xs">
          <Title order={3} size="h5">
            Job queue
          </Title>
          {jobs.data && (
            <Badge color={jobs.data.healthy ? 'teal' : 'red'} data-testid="jobs-health">
              {jobs.data.healthy ? 'Healthy' : 'Needs attention'}
            </Badge>
          )}
        </Group>
        <QueryState query={jobs} isEmpty={(d) => d.queues.length === 0} empty="No queues.">
          {(d) => (
            <DataTable
              aria-label="Queues"
              rows={d.queues}
              rowKey={(q) => q.name}
              columns={[
                { header: 'Queue', cell: (q) => q.name },
                { header: 'Queued', cell: (q) => q.queued },
                { header: 'Active', cell: (q) => q.active },
                { header: 'Retrying', cell: (q) => q.retrying },
                {
                  header: 'Failed',
                  cell: (q) => (
                    <Text size="sm" c={q.failed > 0 ? 'red' : undefined} fw={q.failed > 0 ? 700 : undefined}>
                      {q.failed}
                    </Text>
                  ),
                },
                { header: 'Completed', cell: (q) => q.completed },
              ]}
            />
          )}
        </QueryState>
      </Card>
      <Card withBorder component="section" aria-label="Audit log integrity">
        <Title order={3} size="h5" mb="xs">
          Audit log integrity
        </Title>
        <Stack gap="sm">
          <Text size="sm">Recomputes every audit event, the Merkle tree over them and the signed root; an edited or deleted event, or a changed tree, is found.</Text>
          <Group>
            <Button onClick={() => verify.mutate()} loading={verify.isPending}>
              Verify audit log
            </Button>
          </Group>
          {verify.isError && <ErrorState error={verify.error} title="Could not verify" />}
          {verify.data && (
            <Alert color={verify.data.ok ? 'teal' : 'red'} title={verify.data.ok ? 'Log intact' : 'Log broken'} role="status" data-testid="audit-result">
              <Text size="sm">
                {verify.data.events} events checked.
                {verify.data.firstBadSeq !== undefined ? ` First bad event: #${verify.data.firstBadSeq}.` : ''}
              </Text>
              <Text size="xs">
                Root hash of {verify.data.treeSize} events: <Code style={{ wordBreak: 'break-all' }}>{verify.data.rootHash}</Code>
              </Text>
            </Alert>
          )}
        </Stack>
      </Card>
    </Page>
  )
}
