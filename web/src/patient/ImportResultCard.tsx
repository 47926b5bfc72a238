/** The answer of an import (SPEC §4.4, §9): how many of each kind were taken in, and what was skipped and why. */
import { Alert, Table, Text } from '@mantine/core'
import type { ImportResult } from '../api/types'
import { humanize } from '../components/format'

export function ImportResultCard({ result, source }: { result: ImportResult; source: string }) {
  const nothingNew = Object.values(result.imported).every((v) => v === 0)
  return (
    <Alert color="teal" title="Imported" role="status">
      <Table fz="sm" aria-label="Imported">
        <Table.Tbody>
          {Object.entries(result.imported).map(([k, v]) => (
            <Table.Tr key={k}>
              <Table.Td>{k === 'labs' ? 'Lab results' : humanize(k)}</Table.Td>
              <Table.Td>{v}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {nothingNew && <Text size="sm">Nothing new: {source} was imported before.</Text>}
      {result.skipped.length > 0 && (
        <Table fz="xs" mt="xs" aria-label="Skipped">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Skipped</Table.Th>
              <Table.Th>Count</Table.Th>
              <Table.Th>Why</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {result.skipped.map((s) => (
              <Table.Tr key={`${s.resourceType}\u0000${s.reason}`}>
                <Table.Td>{s.resourceType}</Table.Td>
                <Table.Td>{s.count}</Table.Td>
                <Table.Td>{s.reason}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Alert>
  )
}
