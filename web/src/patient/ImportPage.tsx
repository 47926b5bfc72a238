/**
 * Import from another system (SPEC §4.4, §9), one page for every source: a file — a FHIR R4
 * Bundle (.json), an HL7 C-CDA document (.xml), an Apple Health export (export.xml or its
 * .zip) — chosen or dropped and uploaded with a progress bar, then a "processing" state
 * until the server answers; or a SMART Health Link pasted (`shlink:/…` or a viewer URL) with
 * its passcode. The answer shows the counts per kind and what was skipped. Importing twice
 * adds nothing.
 *
 * Whose record is it? When the source's patient differs from the profile the server answers
 * 409 `identity-mismatch` and imports nothing; a dialog shows the differences and asks.
 * "Import anyway" sends the same source again with `?confirm=identity`; "Cancel" leaves the
 * locker as it was.
 */
import { Alert, Button, Group, PasswordInput, Progress, Stack, Text, TextInput, Title } from '@mantine/core'
import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import type { IdentityDifference, ImportResult } from '../api/types'
import { uploadFile } from '../api/uploads'
import { formErrorOf } from '../components/forms'
import { Page } from '../components/Page'
import { IdentityMismatchDialog, identityDifferencesOf } from './IdentityMismatchDialog'
import { ImportDropZone } from './ImportDropZone'
import { ImportResultCard } from './ImportResultCard'
import { importKindOf, shlinkFrom } from './import-sources'
import { useLocker } from './locker'

const IMPORT_PATH = '/api/v1/patients/{pid}/import' as const

/** The source last sent: sent again as it was when the patient confirms the identity. */
type Source = { kind: 'file'; file: File } | { kind: 'link'; shlink: string; passcode?: string }

/** What the page is doing: uploading a file (fraction sent), waiting for the server, or idle. */
type Phase = { step: 'idle' } | { step: 'uploading'; fraction: number } | { step: 'processing'; what: string }

export default function ImportPage() {
  const qc = useQueryClient()
  const { pid } = useLocker()
  const [file, setFile] = useState<File | null>(null)
  const [link, setLink] = useState('')
  const [passcode, setPasscode] = useState('')
  const [phase, setPhase] = useState<Phase>({ step: 'idle' })
  const [sent, setSent] = useState<Source | null>(null)
  const [result, setResult] = useState<ImportResult | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [mismatch, setMismatch] = useState<IdentityDifference[] | null>(null)
  const [cancelled, setCancelled] = useState(false)

  const fileKind = file ? importKindOf(file) : null
  const shlink = shlinkFrom(link)
  const busy = phase.step !== 'idle'

  const send = (source: Source, confirmIdentity: boolean): Promise<ImportResult> => {
    const query: Record<string, string> = confirmIdentity ? { confirm: 'identity' } : {}
    if (source.kind === 'file') {
      const kind = importKindOf(source.file)
      if (!kind) throw new Error('Choose a .json, .xml or .zip file.')
      const what = kind.contentType === 'application/fhir+json' ? 'Reading the bundle and saving your data…' : 'Reading the file and saving your data…'
      setPhase({ step: 'uploading', fraction: 0 })
      return uploadFile(IMPORT_PATH, { pid }, query, source.file, kind.contentType, (fraction) =>
        setPhase(fraction >= 1 ? { step: 'processing', what } : { step: 'uploading', fraction }),
      )
    }
    setPhase({ step: 'processing', what: 'Fetching the link and saving your data…' })
    const body = source.passcode ? { shlink: source.shlink, passcode: source.passcode } : { shlink: source.shlink }
    return unwrap(api.POST(IMPORT_PATH, { params: { path: { pid }, query }, body }))
  }

  const run = async (source: Source, confirmIdentity = false) => {
    setSent(source)
    setResult(null)
    setError(null)
    setMismatch(null)
    setCancelled(false)
    try {
      setResult(await send(source, confirmIdentity))
      await qc.invalidateQueries()
    } catch (err) {
      const differences = identityDifferencesOf(err)
      if (differences && !confirmIdentity) setMismatch(differences)
      else setError(err)
    } finally {
      setPhase({ step: 'idle' })
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
  const sourceName = sent?.kind === 'file' ? sent.file.name : 'the linked record'

  return (
    <Page title="Import from another system">
      <Text size="sm">
        Bring your health record from a hospital portal, another app or another CareLocker. Allergies, conditions, medications, vital signs, lab results and documents
        are added to your locker; your profile's empty fields are filled in. Importing the same file again adds nothing.
      </Text>
      <Stack gap="sm" maw={720}>
        <Title order={3} size="h4">
          From a file
        </Title>
        <ImportDropZone file={file} onFile={choose} disabled={busy} />
        <Group>
          <Button onClick={() => file && void run({ kind: 'file', file })} disabled={!file || !fileKind || busy} loading={busy && sent?.kind === 'file'}>
            Import
          </Button>
        </Group>

        <Title order={3} size="h4" mt="sm">
          From a SMART Health Link
        </Title>
        <TextInput
          label="SMART Health Link"
          description="Paste the link you were given: it starts with shlink:/ or is a viewer address containing #shlink:/"
          value={link}
          onChange={(e) => setLink(e.currentTarget.value)}
          error={link.trim() !== '' && !shlink ? 'This is not a SMART Health Link.' : undefined}
          autoComplete="off"
          spellCheck={false}
        />
        <PasswordInput label="Passcode (if the link has one)" value={passcode} onChange={(e) => setPasscode(e.currentTarget.value)} autoComplete="off" maw={320} />
        <Group>
          <Button
            variant="light"
            onClick={() => shlink && void run(passcode ? { kind: 'link', shlink, passcode } : { kind: 'link', shlink })}
            disabled={!shlink || busy}
            loading={busy && sent?.kind === 'link'}
          >
            Import from link
          </Button>
        </Group>

        {phase.step !== 'idle' && (
          <Stack gap={4}>
            <Progress
              value={phase.step === 'uploading' ? Math.round(phase.fraction * 100) : 100}
              striped
              animated={phase.step === 'processing'}
              aria-label="Import progress"
            />
            <Text size="xs" c="dimmed" role="status">
              {phase.step === 'uploading' ? `Uploading… ${Math.round(phase.fraction * 100)} %` : phase.what}
            </Text>
          </Stack>
        )}
        {cancelled && (
          <Alert color="gray" role="status" title="Not imported">
            Nothing from {sourceName} was added to your locker.
          </Alert>
        )}
        {error !== null && (
          <Alert color="red" role="alert" title="Import failed">
            {formErrorOf(error)}
          </Alert>
        )}
        {result && <ImportResultCard result={result} source={sent?.kind === 'file' ? 'this file' : 'this link'} />}
      </Stack>
      <IdentityMismatchDialog differences={mismatch} sourceName={sourceName} onCancel={cancel} onConfirm={() => sent && void run(sent, true)} />
    </Page>
  )
}
