/**
 * FHIR import (SPEC §4.4): a Bundle from another system (e.g. a Synthea or IPS export),
 * uploaded with a progress bar, then the server's counts. Importing twice adds nothing.
 *
 * Whose record is it? When the file's patient differs from the profile the server answers
 * 409 `identity-mismatch` and imports nothing; a dialog shows the differences and asks.
 * "Import anyway" sends the file again with `?confirm=identity`; "Cancel" leaves the
 * locker as it was.
 */
import { Alert, Button, FileButton, Group, Modal, Progress, Stack, Table, Text } from '@mantine/core'
import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { ApiError } from '../api/client'
import type { IdentityDifference, ImportResult } from '../api/types'
import { uploadJsonFile } from '../api/uploads'
import { formErrorOf } from '../components/forms'
import { formatDate, formatSize, humanize } from '../components/format'
import { Page } from '../components/Page'

const FIELD_LABEL: Record<IdentityDifference['field'], string> = { fullName: 'Name', dateOfBirth: 'Date of birth', sex: 'Sex' }

/** A value as a person reads it: a date in the local format, a sex capitalized, a name as written. */
function shownValue(field: IdentityDifference['field'], value: string): string {
  if (field === 'dateOfBirth') return formatDate(value)
  if (field === 'sex') return humanize(value)
  return value
}

/** The `differences` of a 409 `identity-mismatch` problem; null for any other error. */
function identityDifferencesOf(err: unknown): IdentityDifference[] | null {
  if (!(err instanceof ApiError) || err.status !== 409 || err.slug !== 'identity-mismatch') return null
  return Array.isArray(err.body.differences) ? (err.body.differences as IdentityDifference[]) : []
}

export default function ImportPage() {
  const qc = useQueryClient()
  const [file, setFile] = useState<File | null>(null)
  const [progress, setProgress] = useState<number | null>(null)
  const [result, setResult] = useState<ImportResult | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [mismatch, setMismatch] = useState<IdentityDifference[] | null>(null)
  const [cancelled, setCancelled] = useState(false)

  const run = async (confirmIdentity = false) => {
    if (!file) return
    setResult(null)
    setError(null)
    setMismatch(null)
    setCancelled(false)
    setProgress(0)
    try {
      const r = await uploadJsonFile('/api/v1/patients/{pid}/import', { pid: 'me' }, confirmIdentity ? { confirm: 'identity' } : {}, file, setProgress)
      setResult(r)
      await qc.invalidateQueries()
    } catch (err) {
      const differences = identityDifferencesOf(err)
      if (differences && !confirmIdentity) setMismatch(differences)
      else setError(err)
    } finally {
      setProgress(null)
    }
  }

  const cancel = () => {
    setMismatch(null)
    setCancelled(true)
  }
  const choose = (f: File | null) => {
    setFile(f)
    setCancelled(false)
  }

  const uploading = progress !== null && progress < 1
  const processing = progress !== null && progress >= 1
  return (
    <Page title="Import from another system">
      <Text size="sm">
        Import a FHIR R4 Bundle (JSON), such as an export from a hospital portal, an International Patient Summary, or a Synthea patient. Allergies, conditions,
        medications, vital signs and attached documents are added to your locker; your profile's empty fields are filled in.
      </Text>
      <Stack gap="sm" maw={640}>
        <Group>
          <FileButton onChange={choose} accept="application/json,application/fhir+json,.json">
            {(props) => (
              <Button {...props} variant="light">
                Choose a bundle (.json)
              </Button>
            )}
          </FileButton>
          {file && (
            <Text size="sm">
              {file.name} ({formatSize(file.size)})
            </Text>
          )}
        </Group>
        {progress !== null && (
          <Stack gap={4}>
            <Progress value={processing ? 100 : Math.round(progress * 100)} striped animated aria-label="Import progress" />
            <Text size="xs" c="dimmed" role="status">
              {uploading ? `Uploading… ${Math.round(progress * 100)} %` : 'Reading the bundle and saving your data…'}
            </Text>
          </Stack>
        )}
        {cancelled && (
          <Alert color="gray" role="status" title="Not imported">
            Nothing from {file?.name ?? 'the file'} was added to your locker.
          </Alert>
        )}
        {error !== null && (
          <Alert color="red" role="alert" title="Import failed">
            {formErrorOf(error)}
          </Alert>
        )}
        <Group>
          <Button onClick={() => void run()} disabled={!file} loading={progress !== null}>
            Import
          </Button>
        </Group>
        {result && (
          <Alert color="teal" title="Imported" role="status">
            <Table fz="sm" aria-label="Imported">
              <Table.Tbody>
                {Object.entries(result.imported).map(([k, v]) => (
                  <Table.Tr key={k}>
                    <Table.Td>{humanize(k)}</Table.Td>
                    <Table.Td>{v}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            {Object.values(result.imported).every((v) => v === 0) && <Text size="sm">Nothing new: this bundle was imported before.</Text>}
            {result.skipped.length > 0 && (
              <Text size="xs" mt="xs">
                Skipped: {result.skipped.map((s) => `${s.count} ${s.resourceType} (${s.reason})`).join('; ')}
              </Text>
            )}
          </Alert>
        )}
      </Stack>
      <Modal opened={mismatch !== null} onClose={cancel} title="Is this your record?" size="lg">
        <Stack gap="sm">
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            The patient in <strong>{file?.name}</strong> does not match your profile. Nothing has been imported.
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
              {(mismatch ?? []).map((d) => (
                <Table.Tr key={d.field}>
                  <Table.Th scope="row">{FIELD_LABEL[d.field] ?? humanize(d.field)}</Table.Th>
                  <Table.Td>{shownValue(d.field, d.locker)}</Table.Td>
                  <Table.Td>{shownValue(d.field, d.source)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Text size="sm">
            Import it only if this file is about you (for example under a former name). Someone else's history in your locker would mix with yours. Your profile keeps
            its own name, date of birth and sex.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={cancel}>
              Cancel
            </Button>
            <Button color="red" onClick={() => void run(true)}>
              Import anyway
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Page>
  )
}
