/**
 * "Is this your record?" (SPEC §4.4): the differences of a 409 `identity-mismatch` between the
 * source's patient and the profile, with Cancel (nothing imported) and "Import anyway"
 * (the caller sends the same source again with `?confirm=identity`).
 */
import { Button, Group, Modal, Stack, Table, Text } from '@mantine/core'
import { ApiError } from '../api/client'
import type { IdentityDifference } from '../api/types'
import { formatDate, humanize } from '../components/format'

const FIELD_LABEL: Record<IdentityDifference['field'], string> = { fullName: 'Name', dateOfBirth: 'Date of birth', sex: 'Sex' }

/** A value as a person reads it: a date in the local format, a sex capitalized, a name as written. */
function shownValue(field: IdentityDifference['field'], value: string): string {
  if (field === 'dateOfBirth') return formatDate(value)
  if (field === 'sex') return humanize(value)
  return value
}

/** The `differences` of a 409 `identity-mismatch` problem; null for any other error. */
export function identityDifferencesOf(err: unknown): IdentityDifference[] | null {
  if (!(err instanceof ApiError) || err.status !== 409 || err.slug !== 'identity-mismatch') return null
  return Array.isArray(err.body.differences) ? (err.body.differences as IdentityDifference[]) : []
}

export function IdentityMismatchDialog({
  differences,
  sourceName,
  onCancel,
  onConfirm,
}: {
  differences: IdentityDifference[] | null
  sourceName: string
  onCancel: () => void
  onConfirm: () => void
}) {
  return (
    <Modal opened={differences !== null} onClose={onCancel} title="Is this your record?" size="lg">
      <Stack gap="sm">
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
          The patient in <strong>{sourceName}</strong> does not match your profile. Nothing has been imported.
        </Text>
        <Table fz="sm" withTableBorder aria-label="Differences">
          <Table.Thead>
            <Table.Tr>
              <Table.Th />
              <Table.Th>In your locker</Table.Th>
              <Table.Th>In the file</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(differences ?? []).map((d) => (
              <Table.Tr key={d.field}>
                <Table.Th scope="row">{FIELD_LABEL[d.field] ?? humanize(d.field)}</Table.Th>
                <Table.Td>{shownValue(d.field, d.locker)}</Table.Td>
                <Table.Td>{shownValue(d.field, d.source)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Text size="sm">
          Import it only if this file is about you (for example under a former name). Someone else's history in your locker would mix with yours. Your profile keeps its
          own name, date of birth and sex.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button color="red" onClick={onConfirm}>
            Import anyway
          </Button>
        </Group>
      </Stack>
    </Modal>
  )
}
