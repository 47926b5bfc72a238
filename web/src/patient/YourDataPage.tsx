/**
 * "Your data" (SPEC §9 "Take your data and go"): export everything the locker holds as one
 * zip (asked for, built by the server, polled until ready, downloaded with the session's
 * token), and erase the locker for good (password and a typed confirmation, then signed out).
 */
import { Alert, Badge, Button, Card, Group, List, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useNavigate } from 'react-router'
import { api, errorMessage, forgetSession, getBlob, unwrap } from '../api/client'
import type { ResponseOf } from '../api/types'
import { formatDateTime } from '../components/format'
import { Page } from '../components/Page'

type PatientExport = ResponseOf<'/api/v1/patients/{pid}/exports/{id}', 'get'>

const EXPORTS_KEY = ['exports', 'me'] as const
/** What the patient types to confirm the erasure. */
export const ERASE_CONFIRMATION = 'delete my locker'

/** Saves the zip under the name the server gives it (`carelocker-export-<date>.zip`). */
async function downloadExport(e: PatientExport) {
  if (!e.downloadUrl) return
  const blob = await getBlob(e.downloadUrl)
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = `carelocker-export-${e.createdAt.slice(0, 10)}.zip`
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

function ExportRow({ item }: { item: PatientExport }) {
  const download = useMutation({ mutationFn: () => downloadExport(item) })
  return (
    <Group justify="space-between" wrap="wrap" data-testid="export-row" data-status={item.status}>
      <Stack gap={0}>
        <Group gap="xs">
          <Text fw={600}>Export of {formatDateTime(item.createdAt)}</Text>
          <Badge variant="light" color={item.status === 'ready' ? 'teal' : item.status === 'failed' ? 'red' : 'blue'}>
            {item.status === 'pending' ? 'Preparing…' : item.status === 'ready' ? 'Ready' : 'Failed'}
          </Badge>
        </Group>
        {item.status === 'ready' && (
          <Text size="sm" c="dimmed">
            {item.sizeBytes !== undefined ? `${(item.sizeBytes / 1048576).toFixed(1)} MB · ` : ''}available until {item.expiresAt ? formatDateTime(item.expiresAt) : '24 hours after it was made'}
          </Text>
        )}
        {item.status === 'failed' && (
          <Text size="sm" c="red" role="alert">
            {item.error ?? 'The export failed.'}
          </Text>
        )}
        {download.isError && (
          <Text size="sm" c="red" role="alert">
            {errorMessage(download.error)}
          </Text>
        )}
      </Stack>
      {item.status === 'ready' && (
        <Button onClick={() => download.mutate()} loading={download.isPending}>
          Download
        </Button>
      )}
    </Group>
  )
}

function ExportSection() {
  const client = useQueryClient()
  const exports = useQuery({
    queryKey: EXPORTS_KEY,
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/exports', { params: { path: { pid: 'me' } } })),
    // Poll while one is being prepared.
    refetchInterval: (q) => (q.state.data?.items.some((e) => e.status === 'pending') ? 1_000 : false),
  })
  const start = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/patients/{pid}/export', { params: { path: { pid: 'me' } }, body: {} })),
    onSettled: () => client.invalidateQueries({ queryKey: EXPORTS_KEY }),
  })
  const items = exports.data?.items ?? []
  const pending = items.some((e) => e.status === 'pending')
  return (
    <Card withBorder padding="lg" data-testid="export-section">
      <Stack>
        <Group justify="space-between" wrap="wrap">
          <Stack gap={2}>
            <Title order={3}>Export everything</Title>
            <Text size="sm" c="dimmed">
              One zip with all your data as FHIR (the standard other health apps read), an International Patient Summary, every document you stored and a README
              saying how to import it elsewhere. It is ready within a minute and kept for 24 hours.
            </Text>
          </Stack>
          <Button onClick={() => start.mutate()} loading={start.isPending} disabled={pending}>
            Export everything
          </Button>
        </Group>
        {start.isError && (
          <Alert color="red" role="alert">
            {errorMessage(start.error)}
          </Alert>
        )}
        {exports.isError && <Alert color="red">{errorMessage(exports.error)}</Alert>}
        {items.map((e) => (
          <ExportRow key={e.id} item={e} />
        ))}
      </Stack>
    </Card>
  )
}

function EraseSection() {
  const navigate = useNavigate()
  const [password, setPassword] = useState('')
  const [typed, setTyped] = useState('')
  const erase = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/patients/{pid}', { params: { path: { pid: 'me' } }, body: { password } })),
    onSuccess: () => {
      // Every session already ended on the server: this one is forgotten here too (no logout call to refuse).
      forgetSession()
      navigate('/login', { replace: true })
    },
  })
  const confirmed = typed.trim().toLowerCase() === ERASE_CONFIRMATION && password.length > 0
  return (
    <Card withBorder padding="lg" data-testid="erase-section">
      <Stack>
        <Title order={3}>Delete my locker</Title>
        <Text size="sm">This cannot be undone. When you delete your locker:</Text>
        <List size="sm" spacing={4}>
          <List.Item>your documents are destroyed: their keys are erased, so nobody can decrypt them, not even the operator;</List.Item>
          <List.Item>your profile, vital signs, lab results, doctors’ notes and exports are deleted;</List.Item>
          <List.Item>every share link and your emergency link stop working, your doctors lose access, and you are signed out everywhere;</List.Item>
          <List.Item>your account is closed: you cannot sign in again.</List.Item>
        </List>
        <Text size="sm" c="dimmed">
          Kept: the access log (who looked at your data and when — no medical content) and the prescriptions and dispensations doctors and pharmacies must keep
          by law; prescriptions not yet dispensed are cancelled. You will get an email. Export everything first if you want a copy.
        </Text>
        <form
          onSubmit={(ev) => {
            ev.preventDefault()
            if (confirmed) erase.mutate()
          }}
        >
          <Stack gap="sm" maw={420}>
            <PasswordInput label="Your password" value={password} onChange={(ev) => setPassword(ev.currentTarget.value)} autoComplete="current-password" required />
            <TextInput
              label={`Type “${ERASE_CONFIRMATION}” to confirm`}
              value={typed}
              onChange={(ev) => setTyped(ev.currentTarget.value)}
              autoComplete="off"
              data-testid="erase-confirmation"
            />
            {erase.isError && (
              <Alert color="red" role="alert">
                {errorMessage(erase.error)}
              </Alert>
            )}
            <Button type="submit" color="red" disabled={!confirmed} loading={erase.isPending}>
              Delete my locker
            </Button>
          </Stack>
        </form>
      </Stack>
    </Card>
  )
}

export default function YourDataPage() {
  return (
    <Page title="Your data">
      <ExportSection />
      <EraseSection />
    </Page>
  )
}
