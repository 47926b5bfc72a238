/**
 * Change password, for every role (SPEC §4.1 `PUT /auth/password` → 204; the server ends
 * every other session of the account, this one stays signed in). Reached from the user
 * menu in the header at `/<role>/password`.
 */
import { Alert, Button, Stack, Text } from '@mantine/core'
import { useState, type FormEvent } from 'react'
import { api, ApiError, unwrap } from '../api/client'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { FormErrorAlert, PasswordField } from '../components/fields'
import { Page } from '../components/Page'

const MIN_LENGTH = 10

/**
 * Field errors of a failed change: the schema's `errors[].path` as they come, plus the
 * problems that name no field — a wrong current password (`invalid-credentials`, 401 or
 * 400) and a refused new one (`password-too-common` and its kin) — put under their input.
 */
function passwordErrorsOf(err: unknown): FieldErrors {
  const fields = fieldErrorsOf(err)
  if (!(err instanceof ApiError) || Object.keys(fields).length > 0) return fields
  if (err.slug === 'invalid-credentials' || err.slug.includes('current-password')) return { '/currentPassword': err.message }
  if (err.slug.startsWith('password-')) return { '/newPassword': err.message }
  return fields
}

export default function ChangePasswordPage() {
  const [currentPassword, setCurrentPassword] = useState('')
  const [newPassword, setNewPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string | null>(null)
  const [done, setDone] = useState(false)
  const [busy, setBusy] = useState(false)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setDone(false)
    setFormError(null)
    const local: FieldErrors = {}
    if (!currentPassword) local['/currentPassword'] = 'Enter your current password.'
    if (newPassword.length < MIN_LENGTH) local['/newPassword'] = `Use at least ${MIN_LENGTH} characters.`
    else if (newPassword === currentPassword) local['/newPassword'] = 'Choose a password different from the current one.'
    if (confirm !== newPassword) local['/confirm'] = 'The two new passwords differ.'
    setErrors(local)
    if (Object.keys(local).length > 0) return
    setBusy(true)
    try {
      await unwrap(api.PUT('/api/v1/auth/password', { body: { currentPassword, newPassword } }))
      setCurrentPassword('')
      setNewPassword('')
      setConfirm('')
      setDone(true)
    } catch (err) {
      const fields = passwordErrorsOf(err)
      setErrors(fields)
      const known = (p: string) => p in fields
      setFormError(Object.keys(fields).length > 0 && err instanceof ApiError && err.errors.every((fe) => known(fe.path)) ? null : formErrorOf(err, known))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Page title="Change password">
      <form onSubmit={submit} noValidate style={{ maxWidth: 460 }}>
        <Stack>
          <Text size="sm">
            Use at least {MIN_LENGTH} characters; a few unrelated words make a strong, memorable password. Your other devices and browsers will be signed
            out; this one stays signed in.
          </Text>
          {done && (
            <Alert color="teal" role="status" title="Password changed" data-testid="password-changed">
              Password changed. Other devices were signed out.
            </Alert>
          )}
          <FormErrorAlert title="Could not change the password" message={formError} />
          <PasswordField label="Current password" autoComplete="current-password" value={currentPassword} onChange={setCurrentPassword} error={errors['/currentPassword']} />
          <PasswordField label="New password" autoComplete="new-password" value={newPassword} onChange={setNewPassword} error={errors['/newPassword']} />
          <PasswordField label="Repeat the new password" autoComplete="new-password" value={confirm} onChange={setConfirm} error={errors['/confirm']} />
          <div>
            <Button type="submit" loading={busy}>
              Change password
            </Button>
          </div>
        </Stack>
      </form>
    </Page>
  )
}
