/** Job queue status (SPEC §5) and the audit log's hash-chain check (SPEC §4.7). */
import { Alert, Badge, Button, Card, Code, Group, Stack, Table, Text, Title } from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { get } from '../api/client'
import type { AuditVerification, JobQueues } from '../api/types'
import { Page } from '../components/Page'
import { ErrorState, QueryState } from '../components/states'

export function SystemPage() {
  const jobs = useQuery({ queryKey: ['admin-jobs'], queryFn: () => get<JobQueues>('/admin/jobs'), refetchInterval: 10_000 })
  const verify = useMutation({ mutationFn: () => get<AuditVerification>('/admin/audit/verify') })
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
            <div className="table-scroll">
              <Table aria-label="Queues">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Queue</Table.Th>
                    <Table.Th>Queued</Table.Th>
                    <Table.Th>Active</Table.Th>
                    <Table.Th>Retrying</Table.Th>
                    <Table.Th>Failed</Table.Th>
                    <Table.Th>Completed</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {d.queues.map((q) => (
                    <Table.Tr key={q.name}>
                      <Table.Td>{q.name}</Table.Td>
                      <Table.Td>{q.queued}</Table.Td>
                      <Table.Td>{q.active}</Table.Td>
                      <Table.Td>{q.retrying}</Table.Td>
                      <Table.Td>
                        <Text size="sm" c={q.failed > 0 ? 'red' : undefined} fw={q.failed > 0 ? 700 : undefined}>
                          {q.failed}
                        </Text>
                      </Table.Td>
                      <Table.Td>{q.completed}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </div>
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
