/**
 * Caregivers (SPEC §10), on one's own locker only: invite someone by email with `read` or
 * `manage` access and an optional end date, see each invitation and grant with its status,
 * revoke one (after confirming), and add a dependent (a child, or an adult who does not use
 * the app) whose locker one then manages from the switcher.
 */
import { Alert, Button, Group, Modal, Select, Stack, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { api, unwrap } from '../api/client'
import type { ResponseOf } from '../api/types'
import { actionsColumn, DataTable, type Column } from '../components/DataTable'
import { formatDateTime } from '../components/format'
import { errorAt, fieldErrorsOf, formErrorOf } from '../components/forms'
import { Page } from '../components/Page'
import { QueryState } from '../components/states'
import { MANAGED_PATIENTS_KEY } from './LockerSwitcher'
import { useLocker } from './locker'

type Caregiver = ResponseOf<'/api/v1/patients/me/caregivers', 'get'>['items'][number]
const CAREGIVERS_KEY = ['caregivers', 'me'] as const

function InviteForm() {
  const qc = useQueryClient()
  const [email, setEmail] = useState('')
  const [access, setAccess] = useState<'read' | 'manage'>('read')
  const [until, setUntil] = useState('')
  const invite = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/patients/me/caregivers', { body: { email, access, ...(until ? { expiresAt: new Date(`${until}T23:59:59`).toISOString() } : {}) } })),
    onSuccess: () => {
      setEmail('')
      setUntil('')
      void qc.invalidateQueries({ queryKey: CAREGIVERS_KEY })
    },
  })
  const errors = fieldErrorsOf(invite.error)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    invite.mutate()
  }
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Title order={2} size="h4">
          Invite a caregiver
        </Title>
        <TextInput label="Their email" type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errorAt(errors, '/email')} />
        <Select
          label="Access"
          value={access}
          allowDeselect={false}
          onChange={(v) => setAccess(v === 'manage' ? 'manage' : 'read')}
          data={[
            { value: 'read', label: 'Read: see profile, records, vitals, prescriptions, visits' },
            { value: 'manage', label: 'Manage: also update them and share links' },
          ]}
        />
        <TextInput label="Access ends on (optional)" type="date" value={until} onChange={(e) => setUntil(e.currentTarget.value)} error={errorAt(errors, '/expiresAt')} />
        {invite.isError && <Alert color="red">{formErrorOf(invite.error, (p) => p === '/email' || p === '/expiresAt')}</Alert>}
        {invite.isSuccess && <Alert color="teal">Invitation sent. It can be accepted for 7 days.</Alert>}
        <Group>
          <Button type="submit" loading={invite.isPending}>
            Send invitation
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

function RevokeButton({ caregiver }: { caregiver: Caregiver }) {
  const qc = useQueryClient()
  const [confirming, setConfirming] = useState(false)
  const revoke = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/patients/me/caregivers/{id}', { params: { path: { id: caregiver.id } } })),
    onSuccess: () => {
      setConfirming(false)
      void qc.invalidateQueries({ queryKey: CAREGIVERS_KEY })
    },
  })
  if (caregiver.status === 'revoked' || caregiver.status === 'expired') return null
  const who = caregiver.caregiver?.name ?? caregiver.email
  return (
    <>
      <Button size="xs" color="red" variant="light" onClick={() => setConfirming(true)} aria-label={`Revoke ${who}`}>
        Revoke
      </Button>
      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Revoke access?">
        <Stack gap="sm">
          <Text size="sm">{who} will lose access to your locker at once.</Text>
          {revoke.isError && <Alert color="red">{formErrorOf(revoke.error)}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button color="red" loading={revoke.isPending} onClick={() => revoke.mutate()}>
              Revoke access
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  )
}

const STATUS_LABEL: Record<Caregiver['status'], string> = { invited: 'Invited', active: 'Active', revoked: 'Revoked', expired: 'Expired' }
const columns: Column<Caregiver>[] = [
  { header: 'Caregiver', cell: (c) => (c.caregiver ? `${c.caregiver.name} (${c.email})` : c.email) },
  { header: 'Access', cell: (c) => (c.access === 'manage' ? 'Manage' : 'Read') },
  { header: 'Status', cell: (c) => STATUS_LABEL[c.status] },
  { header: 'Until', cell: (c) => (c.expiresAt ? formatDateTime(c.expiresAt) : 'Until revoked') },
  actionsColumn((c) => <RevokeButton caregiver={c} />),
]

function DependentForm() {
  const qc = useQueryClient()
  const { switchTo } = useLocker()
  const [fullName, setFullName] = useState('')
  const [dateOfBirth, setDateOfBirth] = useState('')
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/patients/me/dependents', { body: { fullName, dateOfBirth } })),
    onSuccess: () => {
      setFullName('')
      setDateOfBirth('')
      void qc.invalidateQueries({ queryKey: MANAGED_PATIENTS_KEY })
    },
  })
  const errors = fieldErrorsOf(create.error)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    create.mutate()
  }
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Title order={2} size="h4">
          Add a dependent
        </Title>
        <Text size="sm" c="dimmed">
          A child, or an adult who does not use CareLocker: a locker with no sign-in of its own, which you manage.
        </Text>
        <TextInput label="Full name" required value={fullName} onChange={(e) => setFullName(e.currentTarget.value)} error={errorAt(errors, '/fullName')} />
        <TextInput label="Date of birth" type="date" required value={dateOfBirth} onChange={(e) => setDateOfBirth(e.currentTarget.value)} error={errorAt(errors, '/dateOfBirth')} />
        {create.isError && <Alert color="red">{formErrorOf(create.error, (p) => p === '/fullName' || p === '/dateOfBirth')}</Alert>}
        {create.isSuccess && (
          <Alert color="teal">
            <Group gap="xs" wrap="wrap">
              <Text size="sm">{create.data.name}’s locker is ready.</Text>
              <Button size="xs" variant="light" onClick={() => switchTo({ pid: create.data.patientId, name: create.data.name, access: 'manage' })}>
                Open it
              </Button>
            </Group>
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={create.isPending}>
            Add dependent
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

export default function CaregiversPage() {
  const list = useQuery({ queryKey: CAREGIVERS_KEY, queryFn: () => unwrap(api.GET('/api/v1/patients/me/caregivers', { params: { query: { limit: 100 } } })) })
  return (
    <Page title="Caregivers">
      <Stack gap="xl">
        <Text size="sm" c="dimmed">
          A caregiver uses their own account to see (or manage) your locker. They never see your access log, emergency card, caregivers or account.
        </Text>
        <InviteForm />
        <QueryState query={list} isEmpty={(d) => d.items.length === 0} empty="No caregivers yet.">
          {(d) => <DataTable rows={d.items} columns={columns} rowKey={(c) => c.id}/>}
        </QueryState>
        <DependentForm />
      </Stack>
    </Page>
  )
}
