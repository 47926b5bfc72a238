import { Anchor, Button, SegmentedControl, Stack, Text, TextInput } from '@mantine/core'
import { useState, type FormEvent } from 'react'
import { Link, Navigate, useNavigate } from 'react-router'
import { ApiError, signUp } from '../api/client'
import type { RegisterInput } from '../api/types'
import { HOME_OF, useAuth } from '../auth'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { AccountFields, FormErrorAlert } from '../components/fields'
import { AuthLayout } from './AuthLayout'

type SignUpRole = RegisterInput['role']

export default function RegisterPage() {
  const { user } = useAuth()
  const navigate = useNavigate()
  const [role, setRole] = useState<SignUpRole>('patient')
  const [form, setForm] = useState({ name: '', email: '', password: '', specialty: '', licenseNumber: '', pharmacyName: '' })
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  if (user) return <Navigate to={HOME_OF[user.role]} replace />

  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => {
    const value = e.currentTarget.value
    setForm((f) => ({ ...f, [k]: value }))
  }

  const validate = (): FieldErrors => {
    const out: FieldErrors = {}
    if (!form.name.trim()) out['/name'] = 'Enter your name.'
    if (!/^\S+@\S+\.\S+$/.test(form.email.trim())) out['/email'] = 'Enter a valid email address.'
    if (form.password.length < 10) out['/password'] = 'Use at least 10 characters.'
    if (form.password.length > 128) out['/password'] = 'Use at most 128 characters.'
    if (role === 'doctor' && !form.specialty.trim()) out['/specialty'] = 'Required for a doctor.'
    if (role !== 'patient' && !form.licenseNumber.trim()) out['/licenseNumber'] = `Required for a ${role}.`
    if (role === 'pharmacist' && !form.pharmacyName.trim()) out['/pharmacyName'] = 'Required for a pharmacist.'
    return out
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setFormError(null)
    const local = validate()
    setErrors(local)
    if (Object.keys(local).length > 0) return
    const input: RegisterInput = { role, name: form.name.trim(), email: form.email.trim(), password: form.password }
    if (role === 'doctor') {
      input.specialty = form.specialty.trim()
      input.licenseNumber = form.licenseNumber.trim()
    }
    if (role === 'pharmacist') {
      input.pharmacyName = form.pharmacyName.trim()
      input.licenseNumber = form.licenseNumber.trim()
    }
    setBusy(true)
    try {
      const u = await signUp(input)
      navigate(HOME_OF[u.role], { replace: true })
    } catch (err) {
      const fields = fieldErrorsOf(err)
      if (err instanceof ApiError && err.status === 409) fields['/email'] = 'An account with this email already exists.'
      setErrors(fields)
      setFormError(formErrorOf(err, (p) => p in fields))
    } finally {
      setBusy(false)
    }
  }

  return (
    <AuthLayout
      title="Create your account"
      footer={
        <>
          Already have an account? <Anchor component={Link} to="/login">Sign in</Anchor>
        </>
      }
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          <FormErrorAlert title="Could not create the account" message={formError} />
          <div>
            <Text component="label" size="sm" fw={500} id="role-label">
              I am a
            </Text>
            <SegmentedControl
              aria-labelledby="role-label"
              fullWidth
              value={role}
              onChange={(v) => setRole(v as SignUpRole)}
              data={[
                { value: 'patient', label: 'Patient' },
                { value: 'doctor', label: 'Doctor' },
                { value: 'pharmacist', label: 'Pharmacist' },
              ]}
            />
          </div>
          <AccountFields form={form} set={set} errors={errors} passwordHint="10 to 128 characters; a passphrase is easiest to remember." />
          {role === 'doctor' && (
            <>
              <TextInput label="Specialty" required value={form.specialty} onChange={set('specialty')} error={errors['/specialty']} />
            </>
          )}
          {role === 'pharmacist' && (
            <TextInput label="Pharmacy name" required value={form.pharmacyName} onChange={set('pharmacyName')} error={errors['/pharmacyName']} />
          )}
          {role !== 'patient' && (
            <TextInput label="License number" required value={form.licenseNumber} onChange={set('licenseNumber')} error={errors['/licenseNumber']} />
          )}
          {role !== 'patient' && (
            <Text size="xs" c="dimmed">
              Doctor and pharmacist accounts are checked by an administrator before they can see patient data.
            </Text>
          )}
          <Button type="submit" loading={busy} fullWidth>
            Create account
          </Button>
        </Stack>
      </form>
    </AuthLayout>
  )
}
