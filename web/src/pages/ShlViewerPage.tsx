/**
 * `/shl#shlink:/…` (SPEC §9): the SMART Health Link viewer, public. Reads the link from the
 * fragment (never sent to a server), asks the recipient's name (and the passcode of a `P`
 * link), opens the manifest, decrypts the files in the browser, and shows the summary
 * readably — allergies first — with any other file to download. Clear words for a wrong
 * passcode (tries left), an expired, revoked or dead link.
 */
import { Alert, Anchor, Badge, Button, Card, Container, List, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core'
import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { summarize, type SummaryView } from '../shl/ips-view'
import { openShl, payloadFromFragment, ShlOpenError, type ShlFile } from '../shl/shl-client'

interface Opened {
  summaries: SummaryView[]
  downloads: Array<{ name: string; url: string; contentType: string }>
}

const EXTENSIONS: Record<string, string> = { 'application/pdf': 'pdf', 'image/png': 'png', 'image/jpeg': 'jpg', 'text/plain': 'txt', 'application/fhir+json': 'json' }

function toOpened(files: ShlFile[]): Opened {
  const summaries: SummaryView[] = []
  const downloads: Opened['downloads'] = []
  files.forEach((f, i) => {
    const type = f.contentType.split(';')[0]!.trim()
    if (type === 'application/fhir+json') {
      try {
        summaries.push(summarize(JSON.parse(new TextDecoder().decode(f.bytes))))
        return
      } catch {
        // not JSON after all: offered as a download below
      }
    }
    const copy = new Uint8Array(f.bytes)
    downloads.push({ name: `file-${i + 1}.${EXTENSIONS[type] ?? 'bin'}`, url: URL.createObjectURL(new Blob([copy.buffer], { type })), contentType: type })
  })
  return { summaries, downloads }
}

function Summary({ view }: { view: SummaryView }) {
  return (
    <Card withBorder padding="md" radius="md" data-testid="shl-summary">
      <Stack gap="sm">
        <Title order={2} size="h3">
          {view.patient?.name ?? 'Patient summary'}
        </Title>
        {view.patient && (
          <Text size="sm" c="dimmed">
            {[view.patient.birthDate && `Born ${view.patient.birthDate}`, view.patient.gender].filter(Boolean).join(' · ')}
          </Text>
        )}
        {view.title && <Text size="sm">{view.title}</Text>}
        {view.sections.map((s, i) => (
          <section key={`${s.title}-${i}`} aria-label={s.title}>
            <Title order={3} size="h5" mb={4}>
              {s.title}
            </Title>
            {s.lines.length > 0 ? (
              <List size="sm" spacing={2}>
                {s.lines.map((line, j) => (
                  <List.Item key={j}>{line}</List.Item>
                ))}
              </List>
            ) : (
              <Text size="sm" c="dimmed">
                {s.emptyReason ? `None (${s.emptyReason.toLowerCase()})` : 'None recorded'}
              </Text>
            )}
          </section>
        ))}
      </Stack>
    </Card>
  )
}

export default function ShlViewerPage() {
  const payload = useMemo(() => payloadFromFragment(window.location.hash), [])
  const [recipient, setRecipient] = useState('')
  const [passcode, setPasscode] = useState('')
  const [pending, setPending] = useState(false)
  const [error, setError] = useState<ShlOpenError | null>(null)
  const [opened, setOpened] = useState<Opened | null>(null)
  const needsPasscode = payload?.flag?.includes('P') ?? false

  useEffect(() => {
    document.title = 'Shared health information — CareLocker'
  }, [])
  useEffect(() => () => opened?.downloads.forEach((d) => URL.revokeObjectURL(d.url)), [opened])

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!payload || !recipient.trim()) return
    setPending(true)
    setError(null)
    try {
      setOpened(toOpened(await openShl(payload, recipient.trim(), needsPasscode ? passcode : undefined)))
    } catch (err) {
      setError(err instanceof ShlOpenError ? err : new ShlOpenError('Something went wrong while opening this link.', 'failed'))
    } finally {
      setPending(false)
    }
  }

  return (
    <Container size={820} py="xl" px="sm" component="main" id="main">
      <Stack gap="md">
        <Text fw={700} size="xl" c="teal.9">
          <Anchor href="/" underline="never" c="teal.9">
            CareLocker
          </Anchor>
        </Text>
        <Title order={1} size="h2">
          {payload?.label ?? 'Shared health information'}
        </Title>
        {!payload ? (
          <Alert color="red" title="No link to open" role="alert">
            This page opens SMART Health Links. The address must end in “#shlink:/…” — check that the whole link was copied.
          </Alert>
        ) : opened ? (
          <>
            {opened.summaries.map((s, i) => (
              <Summary key={i} view={s} />
            ))}
            {opened.downloads.length > 0 && (
              <Card withBorder padding="md" radius="md">
                <Title order={2} size="h4" mb="xs">
                  Files
                </Title>
                <Stack gap="xs">
                  {opened.downloads.map((d) => (
                    <Anchor key={d.url} href={d.url} download={d.name}>
                      Download {d.name} <Badge variant="light">{d.contentType}</Badge>
                    </Anchor>
                  ))}
                </Stack>
              </Card>
            )}
            {opened.summaries.length === 0 && opened.downloads.length === 0 && <Text>This link holds no files any more.</Text>}
          </>
        ) : (
          <form onSubmit={(e) => void submit(e)} noValidate>
            <Stack gap="sm">
              <Text size="sm">A patient shared health information with you. It is decrypted in this browser; the patient sees your name and when you opened it.</Text>
              <TextInput label="Your name" description="The patient sees it in their list of who opened the link." required maxLength={100} value={recipient} onChange={(e) => setRecipient(e.currentTarget.value)} />
              {needsPasscode && <PasswordInput label="Passcode" description="The patient gave it to you separately." required autoComplete="off" maxLength={64} value={passcode} onChange={(e) => setPasscode(e.currentTarget.value)} />}
              {error && (
                <Alert color={error.kind === 'passcode' ? 'orange' : 'red'} title={error.kind === 'gone' ? 'This link no longer works' : 'Could not open the link'} role="alert">
                  {error.message}
                </Alert>
              )}
              <Button type="submit" loading={pending} disabled={!recipient.trim() || (needsPasscode && !passcode) || error?.kind === 'gone'}>
                Open
              </Button>
            </Stack>
          </form>
        )}
      </Stack>
    </Container>
  )
}
