import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core'
import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { publicApi, unwrap } from '../api/client'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { AuthLayout } from './AuthLayout'

export default function ResetPasswordPage() {
  const [step, setStep] = useState<'request' | 'confirm' | 'done'>('request')
  const [email, setEmail] = useState('')
  const [code, setCode] = useState('')
  const [newPassword, setNewPassword] = useState('')
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const run = async (fn: () => Promise<void>) => {
    setBusy(true)
    setFormError(null)
    setErrors({})
    try {
      await fn()
    } catch (err) {
      const fields = fieldErrorsOf(err)
      setErrors(fields)
      setFormError(formErrorOf(err, (p) => p in fields))
    } finally {
      setBusy(false)
    }
  }

  const requestCode = (e: FormEvent) => {
    e.preventDefault()
    void run(async () => {
      await unwrap(publicApi.POST('/api/v1/auth/password-reset/request', { body: { email: email.trim() } }))
      setStep('confirm')
    })
  }
  const confirm = (e: FormEvent) => {
    e.preventDefault()
    if (newPassword.length < 10) {
      setErrors({ '/newPassword': 'Use at least 10 characters.' })
      return
    }
    void run(async () => {
      await unwrap(publicApi.POST('/api/v1/auth/password-reset/confirm', { body: { email: email.trim(), code: code.trim(), newPassword } }))
      setStep('done')
    })
  }

  return (
    <AuthLayout title="Reset your password" footer={<Anchor component={Link} to="/login">Back to sign in</Anchor>}>
      <Stack>
        {formError && (
          <Alert color="red" role="alert">
            {formError}
          </Alert>
        )}
        {step === 'request' && (
          <form onSubmit={requestCode} noValidate>
            <Stack>
              <Text size="sm">We will email you a one-time code, valid for 10 minutes.</Text>
              <TextInput label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errors['/email']} />
              <Button type="submit" loading={busy}>
                Send code
              </Button>
            </Stack>
          </form>
        )}
        {step === 'confirm' && (
          <form onSubmit={confirm} noValidate>
            <Stack>
              <Text size="sm">If an account exists for {email}, a code is on its way.</Text>
              <TextInput label="Code from the email" inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.currentTarget.value)} error={errors['/code']} />
              <PasswordInput label="New password" autoComplete="new-password" required value={newPassword} onChange={(e) => setNewPassword(e.currentTarget.value)} error={errors['/newPassword']} />
              <Button type="submit" loading={busy}>
                Set new password
              </Button>
            </Stack>
          </form>
        )}
        {step === 'done' && (
          <Alert color="teal" title="Password changed">
            Your password was changed and every session was signed out. <Anchor component={Link} to="/login">Sign in</Anchor> with the new one.
          </Alert>
        )}
      </Stack>
    </AuthLayout>
  )
}
