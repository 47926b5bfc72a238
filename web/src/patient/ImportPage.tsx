/**
 * FHIR import (SPEC §4.4): a Bundle from another system (e.g. a Synthea or IPS export),
 * uploaded with a progress bar, then the server's counts. Importing twice adds nothing.
 */
import { Alert, Button, FileButton, Group, Progress, Stack, Table, Text } from '@mantine/core'
import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { uploadJsonFile } from '../api/client'
import type { ImportResult } from '../api/types'
import { formErrorOf } from '../components/forms'
import { formatSize, humanize } from '../components/format'
import { Page } from '../components/Page'

export default function ImportPage() {
  const qc = useQueryClient()
  const [file, setFile] = useState<File | null>(null)
  const [progress, setProgress] = useState<number | null>(null)
  const [result, setResult] = useState<ImportResult | null>(null)
  const [error, setError] = useState<unknown>(null)

  const run = async () => {
    if (!file) return
    setResult(null)
    setError(null)
    setProgress(0)
    try {
      const r = await uploadJsonFile<ImportResult>('/patients/me/import', file, setProgress)
      setResult(r)
      await qc.invalidateQueries()
    } catch (err) {
      setError(err)
    } finally {
      setProgress(null)
    }
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
          <FileButton onChange={setFile} accept="application/json,application/fhir+json,.json">
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
    </Page>
  )
}
