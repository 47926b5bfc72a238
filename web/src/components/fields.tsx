/**
 * Form pieces the account forms share (sign-up, first-run setup, password change): the
 * error alert above a form, a required password input, and the name / email / password
 * trio of a new account. Field errors are keyed by JSON pointer (`/email`), as the API sends them.
 */
import { Alert, Button, Group, PasswordInput, TextInput, type ButtonProps } from '@mantine/core'
import type { ChangeEvent, ReactNode } from 'react'
import type { FieldErrors } from './forms'

/** The form-level error (`null`: nothing shown), as an alert titled `title`. */
export function FormErrorAlert({ title, message }: { title?: string; message: string | null }) {
  if (!message) return null
  return (
    <Alert color="red" role="alert" title={title}>
      {message}
    </Alert>
  )
}

/** A required password input; `onChange` gets the text. */
export function PasswordField({
  label,
  autoComplete,
  value,
  onChange,
  error,
  description,
}: {
  label: string
  autoComplete: 'current-password' | 'new-password'
  value: string
  onChange: (value: string) => void
  error?: string
  description?: string
}) {
  return (
    <PasswordInput
      label={label}
      description={description}
      autoComplete={autoComplete}
      required
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      error={error}
    />
  )
}

type AccountField = 'name' | 'email' | 'password'

/** Full name, email and a new password (with `passwordHint` under its label) of a new account. */
export function AccountFields({
  form,
  set,
  errors,
  passwordHint,
}: {
  form: Record<AccountField, string>
  set: (field: AccountField) => (e: ChangeEvent<HTMLInputElement>) => void
  errors: FieldErrors
  passwordHint: string
}) {
  return (
    <>
      <TextInput label="Full name" autoComplete="name" required value={form.name} onChange={set('name')} error={errors['/name']} />
      <TextInput label="Email" type="email" autoComplete="email" required value={form.email} onChange={set('email')} error={errors['/email']} />
      <PasswordInput
        label="Password"
        description={passwordHint}
        autoComplete="new-password"
        required
        value={form.password}
        onChange={set('password')}
        error={errors['/password']}
      />
    </>
  )
}

/** A form's submit button at the end of its row, spinning while `loading`. */
export function SubmitRow({ children, loading, ...button }: { children: ReactNode; loading: boolean } & Omit<ButtonProps, 'type'>) {
  return (
    <Group justify="flex-end">
      <Button type="submit" loading={loading} {...button}>
        {children}
      </Button>
    </Group>
  )
}

/** "From" and "To" date inputs of a list filter (calendar dates, `YYYY-MM-DD`; empty = open). */
export function DateRangeFields({ from, to, onFrom, onTo }: { from: string; to: string; onFrom: (date: string) => void; onTo: (date: string) => void }) {
  return (
    <>
      <TextInput label="From" type="date" value={from} onChange={(e) => onFrom(e.currentTarget.value)} />
      <TextInput label="To" type="date" value={to} onChange={(e) => onTo(e.currentTarget.value)} />
    </>
  )
}
