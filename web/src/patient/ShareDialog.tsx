/**
 * Share one record (SPEC §4.5): expiry, optional passcode and view limit; the link is shown
 * once (the server keeps only its hash) with a copy button; the record's links can be revoked.
 */
import { Alert, Button, Group, Modal, NumberInput, PasswordInput, Select, Stack, Text } from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { BodyOf, CreatedShare, MedicalRecord } from '../api/types'
import { CopyField } from '../components/CopyField'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { FormErrorAlert, SubmitRow } from '../components/fields'
import { formatDateTime } from '../components/format'
import { QueryState } from '../components/states'
import { SharesTable, useShares } from './SharesTable'
import { useLocker } from './locker'

export const EXPIRY_OPTIONS = [
  { value: '1', label: '1 hour' },
  { value: '24', label: '24 hours' },
  { value: '72', label: '3 days' },
  { value: '168', label: '7 days' },
  { value: '720', label: '30 days' },
]

export function ShareDialog({ record, onClose }: { record: MedicalRecord | null; onClose: () => void }) {
  const qc = useQueryClient()
  const { pid } = useLocker()
  const [hours, setHours] = useState('24')
  const [passcode, setPasscode] = useState('')
  const [maxViews, setMaxViews] = useState<number | string>('')
  const [created, setCreated] = useState<CreatedShare | null>(null)
  const [errors, setErrors] = useState<FieldErrors>({})
  const shares = useShares()

  const create = useMutation({
    mutationFn: (body: BodyOf<'/api/v1/patients/{pid}/records/{id}/shares', 'post'>) =>
      unwrap(api.POST('/api/v1/patients/{pid}/records/{id}/shares', { params: { path: { pid, id: record?.id ?? '' } }, body })),
    onSuccess: (share) => {
      setCreated(share)
      setPasscode('')
      void qc.invalidateQueries({ queryKey: queryKeys.shares })
    },
    onError: (err) => setErrors(fieldErrorsOf(err)),
  })

  const close = () => {
    setCreated(null)
    setErrors({})
    create.reset()
    onClose()
  }

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const local: FieldErrors = {}
    if (passcode && (passcode.length < 4 || passcode.length > 64)) local['/passcode'] = 'Use 4 to 64 characters.'
    setErrors(local)
    if (Object.keys(local).length) return
    const body: Record<string, unknown> = { expiresInHours: Number(hours) }
    if (passcode) body.passcode = passcode
    if (maxViews !== '' && Number(maxViews) > 0) body.maxViews = Number(maxViews)
    create.mutate(body)
  }

  const mine = (shares.data?.items ?? []).filter((s) => s.recordId === record?.id)

  return (
    <Modal opened={record !== null} onClose={close} title={`Share “${record?.title ?? record?.fileName ?? ''}”`} size="lg">
      <Stack>
        {created ? (
          <Alert color="teal" title="Link created" role="status">
            <Stack gap="xs">
              <Text size="sm">
                Anyone with this link can open this one record until {formatDateTime(created.expiresAt)}
                {created.passcodeRequired ? ', with the passcode' : ''}
                {created.maxViews ? `, at most ${created.maxViews} times` : ''}. It is shown only now.
              </Text>
              <CopyField label="Share link" value={created.url} testId="share-url" buttonLabel="Copy link" />
              <Group>
                <Button size="xs" variant="subtle" onClick={() => setCreated(null)}>
                  Create another link
                </Button>
              </Group>
            </Stack>
          </Alert>
        ) : (
          <form onSubmit={submit} noValidate>
            <Stack gap="sm">
              <Select label="Link expires after" data={EXPIRY_OPTIONS} value={hours} onChange={(v) => v && setHours(v)} allowDeselect={false} error={errors['/expiresInHours']} />
              <PasswordInput
                label="Passcode (optional)"
                description="Tell it to the recipient separately. Five wrong tries lock the link."
                autoComplete="new-password"
                value={passcode}
                onChange={(e) => setPasscode(e.currentTarget.value)}
                error={errors['/passcode']}
              />
              <NumberInput label="Maximum downloads (optional)" min={1} max={10000} value={maxViews} onChange={setMaxViews} error={errors['/maxViews']} allowDecimal={false} />
              <FormErrorAlert message={create.isError ? formErrorOf(create.error, (p) => p in errors) : null} />
              <SubmitRow loading={create.isPending}>
                Create link
              </SubmitRow>
            </Stack>
          </form>
        )}
        <Text fw={600} size="sm">
          Links to this record
        </Text>
        <QueryState query={shares} isEmpty={() => mine.length === 0} empty="No links yet.">
          {() => <SharesTable links={mine} />}
        </QueryState>
      </Stack>
    </Modal>
  )
}
