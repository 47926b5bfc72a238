/**
 * Passkeys on the Security page (SPEC §8): the account's passkeys (name, added, last used),
 * "Add a passkey" (the browser's own prompt, through `@simplewebauthn/browser`), rename, and
 * remove after a confirmation. A cancelled or refused prompt says so and changes nothing.
 */
import { Alert, Button, Card, Group, Modal, Stack, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { api, unwrap } from '../api/client'
import type { Passkey } from '../api/types'
import { actionsColumn, DataTable, type Column } from '../components/DataTable'
import { formatDateTime } from '../components/format'
import { QueryState } from '../components/states'
import { passkeyErrorMessage, startRegistration, supportsPasskeys } from './webauthn'

const PASSKEYS_KEY = ['passkeys'] as const

function usePasskeys() {
  return useQuery({ queryKey: PASSKEYS_KEY, queryFn: () => unwrap(api.GET('/api/v1/auth/passkeys')) })
}

/** Asks the server for options, the authenticator for a new passkey, and stores it. */
async function addPasskey(name: string): Promise<Passkey> {
  const optionsJSON = await unwrap(api.POST('/api/v1/auth/passkeys/registration/options', { body: {} }))
  const response = await startRegistration({ optionsJSON })
  return unwrap(api.POST('/api/v1/auth/passkeys/registration', { body: { response, ...(name.trim() ? { name: name.trim() } : {}) } }))
}

function RenameDialog({ passkey, onClose }: { passkey: Passkey; onClose: () => void }) {
  const qc = useQueryClient()
  const [name, setName] = useState(passkey.name)
  const rename = useMutation({
    mutationFn: () => unwrap(api.PATCH('/api/v1/auth/passkeys/{id}', { params: { path: { id: passkey.id } }, body: { name: name.trim() } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: PASSKEYS_KEY })
      onClose()
    },
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    rename.mutate()
  }
  return (
    <Modal opened onClose={onClose} title="Rename passkey">
      <form onSubmit={submit} noValidate>
        <Stack>
          {rename.error && (
            <Alert color="red" role="alert">
              {passkeyErrorMessage(rename.error)}
            </Alert>
          )}
          <TextInput label="Name" maxLength={60} required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={rename.isPending} disabled={!name.trim()}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  )
}

function RemoveDialog({ passkey, onClose }: { passkey: Passkey; onClose: () => void }) {
  const qc = useQueryClient()
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/auth/passkeys/{id}', { params: { path: { id: passkey.id } } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: PASSKEYS_KEY })
      onClose()
    },
  })
  return (
    <Modal opened onClose={onClose} title="Remove passkey?">
      <Stack>
        <Text size="sm">
          “{passkey.name}” will no longer sign you in. Remove it from your device’s passkey list too, so it is not offered again.
        </Text>
        {remove.error && (
          <Alert color="red" role="alert">
            {passkeyErrorMessage(remove.error)}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Keep it
          </Button>
          <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
            Remove passkey
          </Button>
        </Group>
      </Stack>
    </Modal>
  )
}

export function PasskeysSection() {
  const qc = useQueryClient()
  const passkeys = usePasskeys()
  const [name, setName] = useState('')
  const [renaming, setRenaming] = useState<Passkey | null>(null)
  const [removing, setRemoving] = useState<Passkey | null>(null)
  const add = useMutation({
    mutationFn: () => addPasskey(name),
    onSuccess: async () => {
      setName('')
      await qc.invalidateQueries({ queryKey: PASSKEYS_KEY })
    },
  })

  const columns: Column<Passkey>[] = [
    { header: 'Name', cell: (p) => p.name },
    { header: 'Added', cell: (p) => formatDateTime(p.createdAt) },
    { header: 'Last used', cell: (p) => (p.lastUsedAt ? formatDateTime(p.lastUsedAt) : 'Never') },
    actionsColumn<Passkey>((p) => (
      <Group gap="xs" justify="flex-end" wrap="nowrap">
        <Button size="xs" variant="default" onClick={() => setRenaming(p)} aria-label={`Rename ${p.name}`}>
          Rename
        </Button>
        <Button size="xs" color="red" variant="light" onClick={() => setRemoving(p)} aria-label={`Remove ${p.name}`}>
          Remove
        </Button>
      </Group>
    )),
  ]

  return (
    <Card withBorder padding="lg" data-testid="security-passkeys">
      <Stack>
        <Stack gap={2}>
          <Title order={3}>Passkeys</Title>
          <Text size="sm" c="dimmed">
            Sign in with your fingerprint, face or device PIN instead of a password. A passkey also counts as your second factor.
          </Text>
        </Stack>
        <QueryState query={passkeys} isEmpty={(d) => d.items.length === 0} empty="No passkeys yet.">
          {(d) => <DataTable rows={d.items} columns={columns} rowKey={(p) => p.id} />}
        </QueryState>
        {supportsPasskeys() ? (
          <form
            onSubmit={(e) => {
              e.preventDefault()
              add.mutate()
            }}
            noValidate
          >
            <Group align="flex-end" wrap="wrap">
              <TextInput label="Name (optional)" placeholder="e.g. Work laptop" maxLength={60} value={name} onChange={(e) => setName(e.currentTarget.value)} />
              <Button type="submit" loading={add.isPending}>
                Add a passkey
              </Button>
            </Group>
          </form>
        ) : (
          <Text size="sm">This browser does not support passkeys.</Text>
        )}
        {add.error && (
          <Alert color="red" role="alert" title="The passkey was not added">
            {passkeyErrorMessage(add.error)}
          </Alert>
        )}
      </Stack>
      {renaming && <RenameDialog passkey={renaming} onClose={() => setRenaming(null)} />}
      {removing && <RemoveDialog passkey={removing} onClose={() => setRemoving(null)} />}
    </Card>
  )
}
