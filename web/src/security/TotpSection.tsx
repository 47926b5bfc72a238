/**
 * Two-factor sign-in with an authenticator app (SPEC §8, RFC 6238 TOTP): set it up from a QR
 * code (or the secret typed in), confirm with a code, keep the ten recovery codes shown once,
 * and turn it off with the password and a code. When the server asked for a second factor
 * (403 `mfa-setup-required`, see MfaSetupRedirect) a banner says why the user is here.
 */
import { Alert, Button, Card, Code, Group, Image, List, PasswordInput, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { useLocation } from 'react-router'
import { api, ApiError, errorMessage, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { formatDateTime } from '../components/format'
import { Loading } from '../components/states'

type Setup = { secret: string; otpauthUrl: string; qrSvg: string }

/** The QR code of our own server's SVG, as an image (never injected into the page as markup). */
const qrImageSrc = (svg: string) => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`

/** Offers the recovery codes as a text file. */
function downloadCodes(codes: string[]) {
  const text = ['CareLocker recovery codes', 'Each code signs in once, when the authenticator app is not at hand.', '', ...codes, ''].join('\n')
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }))
  const a = document.createElement('a')
  a.href = url
  a.download = 'carelocker-recovery-codes.txt'
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1_000)
}

function RecoveryCodesOnce({ codes, onSaved }: { codes: string[]; onSaved: () => void }) {
  return (
    <Stack data-testid="recovery-codes">
      <Alert color="yellow" title="Save your recovery codes now">
        Each code signs you in once if you lose your phone. They are shown only this once: download them or write them down, and keep them somewhere safe.
      </Alert>
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing={4}>
        {codes.map((c) => (
          <Code key={c} fz="md" data-testid="recovery-code">
            {c}
          </Code>
        ))}
      </SimpleGrid>
      <Group>
        <Button variant="default" onClick={() => downloadCodes(codes)}>
          Download
        </Button>
        <Button onClick={onSaved}>I have saved them</Button>
      </Group>
    </Stack>
  )
}

function SetUp({ onConfirmed }: { onConfirmed: (codes: string[]) => void }) {
  const [setup, setSetup] = useState<Setup | null>(null)
  const [code, setCode] = useState('')
  const [error, setError] = useState<string | null>(null)
  const start = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/mfa/totp/setup', { body: {} })),
    onSuccess: (s) => {
      setSetup(s)
      setError(null)
    },
    onError: (err) => setError(errorMessage(err)),
  })
  const confirm = useMutation({
    mutationFn: (c: string) => unwrap(api.POST('/api/v1/auth/mfa/totp/confirm', { body: { code: c } })),
    onSuccess: (r) => onConfirmed(r.recoveryCodes),
    onError: (err) => {
      setError(err instanceof ApiError && err.slug === 'invalid-code' ? 'That code is not right. Check the time on your phone and enter the code it shows now.' : errorMessage(err))
      setCode('')
    },
  })

  if (!setup) {
    return (
      <Stack align="flex-start">
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Button onClick={() => start.mutate()} loading={start.isPending}>
          Set up an authenticator app
        </Button>
      </Stack>
    )
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const typed = code.replace(/\s/g, '')
    if (!/^\d{6}$/.test(typed)) {
      setError('Enter the 6 digits your authenticator app shows.')
      return
    }
    confirm.mutate(typed)
  }
  return (
    <Stack>
      <List type="ordered" size="sm" spacing={4}>
        <List.Item>Open an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, Aegis…).</List.Item>
        <List.Item>Scan this QR code, or type the key below.</List.Item>
        <List.Item>Enter the 6-digit code it shows.</List.Item>
      </List>
      <Image src={qrImageSrc(setup.qrSvg)} alt="QR code to add CareLocker to an authenticator app" w={200} h={200} fit="contain" data-testid="totp-qr" />
      <Text size="sm">
        Key: <Code data-testid="totp-secret">{setup.secret}</Code>
      </Text>
      <form onSubmit={submit} noValidate style={{ maxWidth: 320 }}>
        <Stack>
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <TextInput
            label="Code from the app"
            autoComplete="one-time-code"
            inputMode="numeric"
            required
            value={code}
            onChange={(e) => setCode(e.currentTarget.value)}
          />
          <Button type="submit" loading={confirm.isPending}>
            Turn on
          </Button>
        </Stack>
      </form>
    </Stack>
  )
}

/**
 * A button that opens a small form asking for a code (and the password when `withPassword`)
 * before `run`; the form shows what went wrong in the user's words and closes on success.
 */
function CodeAction({
  label,
  submitLabel,
  color,
  withPassword = false,
  description,
  run,
}: {
  label: string
  submitLabel: string
  color?: string
  withPassword?: boolean
  description?: string
  run: (input: { password: string; code: string }) => Promise<unknown>
}) {
  const [open, setOpen] = useState(false)
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [error, setError] = useState<string | null>(null)
  const action = useMutation({
    mutationFn: () => run({ password, code: code.trim() }),
    onSuccess: () => {
      setOpen(false)
      setPassword('')
      setCode('')
    },
    onError: (err) => {
      if (err instanceof ApiError && err.slug === 'invalid-credentials') setError('The password is wrong.')
      else if (err instanceof ApiError && err.slug === 'invalid-code') setError('The code is wrong or was already used.')
      else setError(errorMessage(err))
    },
  })
  if (!open) {
    return (
      <Button variant="default" color={color} onClick={() => setOpen(true)}>
        {label}
      </Button>
    )
  }
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        setError(null)
        action.mutate()
      }}
      noValidate
      style={{ maxWidth: 320 }}
    >
      <Stack>
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        {withPassword && (
          <PasswordInput label="Password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
        )}
        <TextInput
          label="Code from the app, or a recovery code"
          description={description}
          autoComplete="one-time-code"
          required
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
        />
        <Group>
          <Button type="submit" color={color} loading={action.isPending}>
            {submitLabel}
          </Button>
          <Button variant="subtle" onClick={() => setOpen(false)}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

export function TotpSection() {
  const queryClient = useQueryClient()
  const location = useLocation()
  const required = (location.state as { mfaSetupRequired?: unknown } | null)?.mfaSetupRequired === true
  const status = useQuery({ queryKey: queryKeys.totp, queryFn: () => unwrap(api.GET('/api/v1/auth/mfa/totp')) })
  const [codes, setCodes] = useState<string[] | null>(null)
  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.totp })

  return (
    <Stack>
      {required && !status.data?.enabled && !codes && (
        <Alert color="yellow" role="status" title="Two-factor sign-in is required" data-testid="mfa-required-banner">
          Accounts like yours open patients’ records and prescriptions, so they must prove who signs in with a second factor. Set up an authenticator
          app below (or a passkey, when offered) to continue.
        </Alert>
      )}
      <Card withBorder padding="lg" data-testid="security-totp">
        <Stack>
          <Stack gap={2}>
            <Title order={3}>Two-factor sign-in</Title>
            <Text size="sm" c="dimmed">
              After your password, signing in asks for a code from an authenticator app on your phone.
            </Text>
          </Stack>
          {status.isPending ? (
            <Loading />
          ) : status.isError ? (
            <Alert color="red" role="alert">
              {errorMessage(status.error)}
            </Alert>
          ) : codes ? (
            <RecoveryCodesOnce
              codes={codes}
              onSaved={() => {
                setCodes(null)
                void refresh()
              }}
            />
          ) : status.data.enabled ? (
            <Stack align="flex-start">
              <Text size="sm" data-testid="totp-on">
                On since {formatDateTime(status.data.enabledAt)}. {status.data.recoveryCodesLeft} recovery code{status.data.recoveryCodesLeft === 1 ? '' : 's'} left.
              </Text>
              <Group align="flex-start">
                <CodeAction
                  label="New recovery codes"
                  submitLabel="Make new codes"
                  description="Your current recovery codes stop working."
                  run={async ({ code }) => setCodes((await unwrap(api.POST('/api/v1/auth/mfa/recovery-codes', { body: { code } }))).recoveryCodes)}
                />
                <CodeAction
                  label="Turn off"
                  submitLabel="Turn off two-factor sign-in"
                  color="red"
                  withPassword
                  run={async (input) => {
                    await unwrap(api.DELETE('/api/v1/auth/mfa/totp', { body: input }))
                    await refresh()
                  }}
                />
              </Group>
            </Stack>
          ) : (
            <SetUp
              onConfirmed={(c) => {
                setCodes(c)
                void refresh()
              }}
            />
          )}
        </Stack>
      </Card>
    </Stack>
  )
}
