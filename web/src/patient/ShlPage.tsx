/**
 * SMART Health Links (SPEC §9): make a link of the summary and chosen records (label,
 * passcode, expiry); its QR code and address are shown once, with copy buttons (the server
 * keeps no key, so it can never show them again); the list with each link's status and who
 * opened it; revoke after a confirmation.
 */
import { Alert, Anchor, Button, Card, Checkbox, Group, Image, Modal, MultiSelect, PasswordInput, Select, Stack, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { CreatedShl, ShlInput, ShlLink } from '../api/types'
import { CopyField } from '../components/CopyField'
import { actionsColumn, DataTable, StatusBadge, type Column } from '../components/DataTable'
import { FormErrorAlert, SubmitRow } from '../components/fields'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { formatDateTime } from '../components/format'
import { Page } from '../components/Page'
import { QueryState } from '../components/states'

const EXPIRY_DAYS = [
  { value: '1', label: '1 day' },
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
]

function useShlLinks() {
  return useQuery({ queryKey: queryKeys.shl, queryFn: () => unwrap(api.GET('/api/v1/patients/me/shl', { params: { query: { limit: 100 } } })) })
}

function CreatedCard({ created, onDone }: { created: CreatedShl; onDone: () => void }) {
  return (
    <Alert color="teal" title="Link created — shown only now" role="status">
      <Stack gap="sm">
        <Text size="sm">
          Anyone with this link{created.flags.includes('P') ? ' and the passcode' : ''} can see what you included until {formatDateTime(created.expiresAt)}. CareLocker keeps no copy of its key: save or share it now.
        </Text>
        <Image src={created.qrPngUrl} alt="QR code of the link" w={220} h={220} data-testid="shl-qr" />
        <CopyField label="Viewer link (opens in any browser)" value={created.viewerUrl} testId="shl-viewer-url" />
        <CopyField label="SMART Health Link (for apps)" value={created.shlink} testId="shl-shlink" />
        <Group>
          <Button size="xs" variant="subtle" onClick={onDone}>
            Done
          </Button>
        </Group>
      </Stack>
    </Alert>
  )
}

function CreateForm({ onCreated }: { onCreated: (c: CreatedShl) => void }) {
  const qc = useQueryClient()
  const [label, setLabel] = useState('')
  const [passcode, setPasscode] = useState('')
  const [days, setDays] = useState('30')
  const [summary, setSummary] = useState(true)
  const [recordIds, setRecordIds] = useState<string[]>([])
  const [errors, setErrors] = useState<FieldErrors>({})
  const records = useQuery({
    queryKey: queryKeys.recordList('me', { limit: 100 }),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/records', { params: { path: { pid: 'me' }, query: { limit: 100 } } })),
  })
  const create = useMutation({
    mutationFn: (body: ShlInput) => unwrap(api.POST('/api/v1/patients/me/shl', { body })),
    onSuccess: (created) => {
      setPasscode('')
      void qc.invalidateQueries({ queryKey: queryKeys.shl })
      onCreated(created)
    },
    onError: (err) => setErrors(fieldErrorsOf(err)),
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const local: FieldErrors = {}
    if (passcode && (passcode.length < 4 || passcode.length > 64)) local['/passcode'] = 'Use 4 to 64 characters.'
    if (!summary && recordIds.length === 0) local['/include'] = 'Include the summary or at least one record.'
    setErrors(local)
    if (Object.keys(local).length) return
    create.mutate({ ...(label.trim() ? { label: label.trim() } : {}), ...(passcode ? { passcode } : {}), expiresInDays: Number(days), include: { summary, recordIds } })
  }
  return (
    <Card withBorder padding="md" radius="md">
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Title order={3} size="h4">
            New link
          </Title>
          <TextInput label="Label (optional)" description="Shown to whoever opens the link, e.g. “For Dr. Smith”." maxLength={80} value={label} onChange={(e) => setLabel(e.currentTarget.value)} error={errors['/label']} />
          <PasswordInput
            label="Passcode (optional)"
            description="Tell it to the recipient separately. Ten wrong tries over the link’s life make it stop working."
            autoComplete="new-password"
            value={passcode}
            onChange={(e) => setPasscode(e.currentTarget.value)}
            error={errors['/passcode']}
          />
          <Select label="Link expires after" data={EXPIRY_DAYS} value={days} onChange={(v) => v && setDays(v)} allowDeselect={false} error={errors['/expiresInDays']} />
          <Checkbox label="Include my health summary (allergies, problems, medications)" checked={summary} onChange={(e) => setSummary(e.currentTarget.checked)} error={errors['/include']} />
          <MultiSelect
            label="Include records (optional)"
            placeholder={records.isLoading ? 'Loading records…' : 'Pick records'}
            data={(records.data?.items ?? []).map((r) => ({ value: r.id, label: `${r.title ?? r.fileName} (${r.recordDate})` }))}
            value={recordIds}
            onChange={setRecordIds}
            searchable
            maxValues={20}
            error={errors['/include/recordIds']}
          />
          <FormErrorAlert message={create.isError ? formErrorOf(create.error, (p) => p in errors) : null} />
          <SubmitRow loading={create.isPending}>Create link</SubmitRow>
        </Stack>
      </form>
    </Card>
  )
}

function RevokeButton({ link }: { link: ShlLink }) {
  const qc = useQueryClient()
  const [confirming, setConfirming] = useState(false)
  const revoke = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/patients/me/shl/{id}', { params: { path: { id: link.id } } })),
    onSuccess: () => {
      setConfirming(false)
      void qc.invalidateQueries({ queryKey: queryKeys.shl })
    },
  })
  if (link.status === 'revoked') return null
  return (
    <>
      <Button size="xs" color="red" variant="light" onClick={() => setConfirming(true)}>
        Revoke
      </Button>
      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Revoke this link?">
        <Stack>
          <Text size="sm">Nobody can open “{link.label ?? 'this link'}” any more, and its encrypted files are deleted. This cannot be undone.</Text>
          <FormErrorAlert message={revoke.isError ? formErrorOf(revoke.error) : null} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Keep it
            </Button>
            <Button color="red" loading={revoke.isPending} onClick={() => revoke.mutate()}>
              Revoke link
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  )
}

const columns: Column<ShlLink>[] = [
  { header: 'Label', cell: (l) => l.label ?? '—' },
  { header: 'Contents', cell: (l) => [l.include.summary ? 'Summary' : null, l.include.recordIds.length ? `${l.include.recordIds.length} record(s)` : null].filter(Boolean).join(' + ') },
  { header: 'Created', cell: (l) => formatDateTime(l.createdAt) },
  { header: 'Expires', cell: (l) => formatDateTime(l.expiresAt) },
  { header: 'Passcode', cell: (l) => (l.passcodeRequired ? `Yes (${l.attemptsLeft} tries left)` : 'No') },
  {
    header: 'Opened by',
    cell: (l) =>
      l.accesses.length === 0 ? (
        <Text size="sm" c="dimmed">
          Nobody yet
        </Text>
      ) : (
        <Stack gap={0} data-testid="shl-accesses">
          {l.accesses.slice(0, 5).map((a, i) => (
            <Text size="sm" key={i}>
              {a.recipient} · {formatDateTime(a.at)}
            </Text>
          ))}
          {l.accesses.length > 5 && (
            <Text size="xs" c="dimmed">
              and {l.accesses.length - 5} more
            </Text>
          )}
        </Stack>
      ),
  },
  { header: 'Status', cell: (l) => <StatusBadge status={l.status} /> },
  actionsColumn<ShlLink>((l) => <RevokeButton link={l} />),
]

export default function ShlPage() {
  const links = useShlLinks()
  const [created, setCreated] = useState<CreatedShl | null>(null)
  return (
    <Page title="SMART Health Links">
      <Text size="sm" c="dimmed">
        A SMART Health Link shares your summary and chosen records with a doctor or an app, as a link or a QR code. The files are encrypted when you create the link; the key lives only in the link. See{' '}
        <Anchor href="https://hl7.org/fhir/uv/smart-health-cards-and-links/" target="_blank" rel="noreferrer">
          the standard
        </Anchor>
        .
      </Text>
      {created ? <CreatedCard created={created} onDone={() => setCreated(null)} /> : <CreateForm onCreated={setCreated} />}
      <Title order={3} size="h4">
        Your links
      </Title>
      <QueryState query={links} isEmpty={(d) => d.items.length === 0} empty="You have not created any SMART Health Link yet.">
        {(d) => <DataTable striped rows={d.items} columns={columns} rowKey={(l) => l.id} />}
      </QueryState>
    </Page>
  )
}
