/**
 * First-run setup (SPEC §1): `/setup#<token>`, the link the server prints at start while
 * there is no administrator. The token is read from the URL fragment — which the browser
 * never sends to a server — and posted in the body of `POST /setup/admin`; the new admin
 * is then signed in.
 */
import { Alert, Anchor, Button, Stack, Text } from '@mantine/core'
import { useState, type FormEvent } from 'react'
import { Link, Navigate, useLocation, useNavigate } from 'react-router'
import { ApiError, setUpFirstAdmin } from '../api/client'
import { HOME_OF, useAuth } from '../auth'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { AccountFields, FormErrorAlert } from '../components/fields'
import { AuthLayout } from './AuthLayout'

export default function SetupPage() {
  const { user } = useAuth()
  const navigate = useNavigate()
  const token = decodeURIComponent(useLocation().hash.replace(/^#/, ''))
  const [form, setForm] = useState({ name: '', email: '', password: '' })
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string | null>(null)
  const [over, setOver] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  if (user) return <Navigate to={HOME_OF[user.role]} replace />

  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => {
    const value = e.currentTarget.value
    setForm((f) => ({ ...f, [k]: value }))
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setFormError(null)
    const local: FieldErrors = {}
    if (!form.name.trim()) local['/name'] = 'Enter your name.'
    if (!/^\S+@\S+\.\S+$/.test(form.email.trim())) local['/email'] = 'Enter a valid email address.'
    if (form.password.length < 10) local['/password'] = 'Use at least 10 characters.'
    if (form.password.length > 128) local['/password'] = 'Use at most 128 characters.'
    setErrors(local)
    if (Object.keys(local).length > 0) return
    setBusy(true)
    try {
      const u = await setUpFirstAdmin({ token, name: form.name.trim(), email: form.email.trim(), password: form.password })
      navigate(HOME_OF[u.role], { replace: true })
    } catch (err) {
      if (err instanceof ApiError && err.status === 410) {
        setOver(err.message)
        return
      }
      const fields = fieldErrorsOf(err)
      if (err instanceof ApiError && err.status === 409) fields['/email'] = 'An account with this email already exists.'
      if (err instanceof ApiError && err.status === 404) {
        setFormError('This setup link is not valid. Use the link printed by the latest start of the server.')
      } else {
        setErrors(fields)
        setFormError(formErrorOf(err, (p) => p in fields))
      }
    } finally {
      setBusy(false)
    }
  }

  const footer = (
    <>
      Already set up? <Anchor component={Link} to="/login">Sign in</Anchor>
    </>
  )

  if (!token) {
    return (
      <AuthLayout title="Set up CareLocker" footer={footer}>
        <Alert color="yellow" title="This page needs the setup link">
          Open the link the server printed when it started (<code>…/setup#…</code>), or create an administrator with{' '}
          <code>npm run admin -- create</code>.
        </Alert>
      </AuthLayout>
    )
  }

  if (over) {
    return (
      <AuthLayout title="Set up CareLocker" footer={footer}>
        <Alert color="blue" role="status" title="Setup is already done">
          {over}
        </Alert>
      </AuthLayout>
    )
  }

  return (
    <AuthLayout title="Create the administrator" footer={footer}>
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm">
            This is the first start of CareLocker. The administrator verifies doctors and pharmacists and looks after accounts; it sees no patient
            data.
          </Text>
          <FormErrorAlert title="Could not create the administrator" message={formError} />
          <AccountFields form={form} set={set} errors={errors} passwordHint="10 to 128 characters, not a common password; a passphrase is easiest to remember." />
          <Button type="submit" loading={busy} fullWidth>
            Create administrator
          </Button>
        </Stack>
      </form>
    </AuthLayout>
  )
}
