/**
 * The pharmacy counter (SPEC §4.9): find a prescription by QR (camera or photo) or by
 * reference number and date of birth, see its problems and warnings, dispense item by
 * item, or reject it. Warnings (allergy matches, the prescriber's override and its reason)
 * must be acknowledged in a dialog before a dispense is sent with `warningsAcknowledged`.
 */
import { Alert, Badge, Button, Card, Checkbox, Group, List, Modal, NumberInput, SimpleGrid, Stack, Tabs, Text, TextInput, Textarea, Title } from '@mantine/core'
import { useMutation } from '@tanstack/react-query'
import { lazy, Suspense, useState, type FormEvent } from 'react'
import { api, ApiError, unwrap } from '../api/client'
import type { CounterWarning, DispenseInput, PharmacyCheck, Prescription } from '../api/types'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { FormErrorAlert, SubmitRow } from '../components/fields'
import { todayIso } from '../components/format'
import { Page } from '../components/Page'
import { Loading } from '../components/states'
import { PrescriptionCard } from '../shared/PrescriptionCard'

const QrScanner = lazy(() => import('./QrScanner'))

function lookupMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 404) return 'No prescription matches this number and date of birth.'
    if (err.status === 410) return 'This prescription has expired.'
    if (err.status === 400 && err.slug !== 'validation-error') return err.message
    if (err.status === 429) return 'Too many lookups in a minute. Wait a moment and try again.'
  }
  return formErrorOf(err) ?? 'The lookup failed.'
}

function FindPrescription({ onFound }: { onFound: (c: PharmacyCheck) => void }) {
  const [tab, setTab] = useState<string | null>('scan')
  const [reference, setReference] = useState('')
  const [dob, setDob] = useState('')
  const [errors, setErrors] = useState<FieldErrors>({})

  const scan = useMutation({ mutationFn: (qrData: string) => unwrap(api.POST('/api/v1/pharmacy/scan', { body: { qrData } })), onSuccess: onFound })
  const lookup = useMutation({
    mutationFn: (body: { referenceNumber: string; patientDateOfBirth: string }) => unwrap(api.POST('/api/v1/pharmacy/lookup', { body })),
    onSuccess: onFound,
    onError: (err) => setErrors(fieldErrorsOf(err)),
  })

  const submitLookup = (e: FormEvent) => {
    e.preventDefault()
    const local: FieldErrors = {}
    if (reference.replace(/[\s-]/g, '').length < 4) local['/referenceNumber'] = 'Enter the reference number from the prescription.'
    if (!dob) local['/patientDateOfBirth'] = "Enter the patient's date of birth."
    setErrors(local)
    if (Object.keys(local).length === 0) lookup.mutate({ referenceNumber: reference.trim(), patientDateOfBirth: dob })
  }

  return (
    <Card withBorder>
      <Tabs value={tab} onChange={setTab}>
        <Tabs.List>
          <Tabs.Tab value="scan">Scan QR code</Tabs.Tab>
          <Tabs.Tab value="reference">Reference number</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="scan" pt="md">
          <Suspense fallback={<Loading label="Loading the scanner…" />}>
            <QrScanner onDecoded={(text) => scan.mutate(text)} />
          </Suspense>
          {scan.isPending && <Loading label="Checking the prescription…" />}
          {scan.isError && (
            <Alert color="red" role="alert" mt="sm" title="Not accepted">
              {scan.error instanceof ApiError && scan.error.status === 400
                ? 'This code is not a valid CareLocker prescription (altered or forged).'
                : scan.error instanceof ApiError && scan.error.status === 410
                  ? 'This prescription has expired.'
                  : formErrorOf(scan.error)}
            </Alert>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="reference" pt="md">
          <form onSubmit={submitLookup} noValidate aria-label="Look up by reference number">
            <Stack gap="sm">
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
                <TextInput
                  label="Reference number"
                  placeholder="XXXX-XXXX-XXXX-X"
                  autoComplete="off"
                  autoCapitalize="characters"
                  spellCheck={false}
                  value={reference}
                  onChange={(e) => setReference(e.currentTarget.value)}
                  error={errors['/referenceNumber']}
                />
                <TextInput
                  label="Patient's date of birth"
                  type="date"
                  max={todayIso()}
                  value={dob}
                  onChange={(e) => setDob(e.currentTarget.value)}
                  error={errors['/patientDateOfBirth']}
                />
              </SimpleGrid>
              <FormErrorAlert message={lookup.isError && Object.keys(errors).length === 0 ? lookupMessage(lookup.error) : null} />
              <SubmitRow loading={lookup.isPending}>
                Look up
              </SubmitRow>
            </Stack>
          </form>
        </Tabs.Panel>
      </Tabs>
    </Card>
  )
}

interface Line {
  quantity: number | string
  batchNumber: string
  expiryDate: string
  unitPrice: number | string
}

/** The warnings of a 409 `warnings-not-acknowledged` (they changed since the check), or null. */
function unacknowledgedWarningsOf(err: unknown): CounterWarning[] | null {
  if (!(err instanceof ApiError) || err.status !== 409 || err.slug !== 'warnings-not-acknowledged') return null
  return Array.isArray(err.body.warnings) ? (err.body.warnings as CounterWarning[]) : []
}

/**
 * The dialog a pharmacist must get through before dispensing a prescription with warnings:
 * each warning, the prescriber's override reason, and a checkbox that enables "Dispense".
 */
function AcknowledgeWarnings({
  rx,
  warnings,
  opened,
  pending,
  onCancel,
  onConfirm,
}: {
  rx: Prescription
  warnings: CounterWarning[]
  opened: boolean
  pending: boolean
  onCancel: () => void
  onConfirm: () => void
}) {
  const [checked, setChecked] = useState(false)
  // The prescriber's override is shown once, as their reason, below the other warnings.
  const listed = rx.prescriberWarnings ? warnings.filter((w) => w.code !== 'prescriber_override') : warnings
  const close = () => {
    setChecked(false)
    onCancel()
  }
  return (
    <Modal opened={opened} onClose={close} closeOnClickOutside={false} title={<Text fw={700} c="orange.9">Check before dispensing</Text>} size="lg">
      <Stack gap="sm" data-testid="acknowledge-warnings-dialog">
        <Text size="sm">
          {rx.prescriptionNumber} for {rx.patient.fullName} has {warnings.length === 1 ? 'a warning' : `${warnings.length} warnings`}:
        </Text>
        {listed.length > 0 && (
          <Alert color="orange" variant="light" p="sm">
            <List size="sm" spacing={6}>
              {listed.map((w, i) => (
                <List.Item key={i}>{w.message}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        {rx.prescriberWarnings && (
          <Text size="sm" data-testid="prescriber-reason">
            The prescriber was warned of the allergy when prescribing and prescribed anyway. Their reason: <strong>“{rx.prescriberWarnings.reason}”</strong>
          </Text>
        )}
        <Checkbox
          label="I have checked this with the patient or the prescriber"
          checked={checked}
          onChange={(e) => setChecked(e.currentTarget.checked)}
          data-autofocus
        />
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={close}>
            Cancel
          </Button>
          <Button color="orange" disabled={!checked} loading={pending} onClick={onConfirm}>
            Dispense
          </Button>
        </Group>
      </Stack>
    </Modal>
  )
}

function DispenseForm({ rx, warnings, onDone }: { rx: Prescription; warnings: CounterWarning[]; onDone: (rx: Prescription) => void }) {
  const open = rx.items.filter((i) => i.quantity - i.dispensedQuantity > 0)
  const [lines, setLines] = useState<Record<string, Line>>(() =>
    Object.fromEntries(open.map((i) => [i.id, { quantity: i.quantity - i.dispensedQuantity, batchNumber: '', expiryDate: '', unitPrice: '' }])),
  )
  const [notes, setNotes] = useState('')
  const [errors, setErrors] = useState<FieldErrors>({})
  /** The body waiting for the pharmacist's acknowledgement, and the warnings to acknowledge. */
  const [pending, setPending] = useState<{ body: DispenseInput; warnings: CounterWarning[] } | null>(null)
  const dispense = useMutation({
    mutationFn: (body: DispenseInput) => unwrap(api.POST('/api/v1/pharmacy/prescriptions/{id}/dispense', { params: { path: { id: rx.id } }, body })),
    onSuccess: (updated) => {
      setPending(null)
      onDone(updated)
    },
    onError: (err, body) => {
      // The warnings changed since the check (an allergy was recorded meanwhile): acknowledge those.
      const fresh = unacknowledgedWarningsOf(err)
      if (fresh) {
        const { warningsAcknowledged: _ack, ...rest } = body
        setPending({ body: rest, warnings: fresh })
        return
      }
      setPending(null)
      setErrors(fieldErrorsOf(err))
    },
  })
  const chosen = open.filter((i) => Number(lines[i.id]?.quantity || 0) > 0)
  const setLine = (id: string, patch: Partial<Line>) => setLines({ ...lines, [id]: { ...(lines[id] as Line), ...patch } })

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const local: FieldErrors = {}
    if (chosen.length === 0) local['/items'] = 'Dispense at least one item.'
    chosen.forEach((item, n) => {
      const l = lines[item.id] as Line
      if (Number(l.quantity) > item.quantity - item.dispensedQuantity) local[`/items/${n}/quantity`] = `At most ${item.quantity - item.dispensedQuantity} left.`
      if (!l.batchNumber.trim()) local[`/items/${n}/batchNumber`] = 'Enter the batch number.'
    })
    setErrors(local)
    if (Object.keys(local).length) return
    const body = {
      items: chosen.map((item) => {
        const l = lines[item.id] as Line
        return {
          itemId: item.id,
          quantity: Number(l.quantity),
          batchNumber: l.batchNumber.trim(),
          ...(l.expiryDate ? { expiryDate: l.expiryDate } : {}),
          ...(l.unitPrice !== '' ? { unitPrice: Number(l.unitPrice) } : {}),
        }
      }),
      ...(notes.trim() ? { notes: notes.trim() } : {}),
    }
    // Warnings never block, but the pharmacist acknowledges them first (SPEC §4.9).
    if (warnings.length > 0) setPending({ body, warnings })
    else dispense.mutate(body)
  }
  // Field errors are indexed by position among the submitted items.
  const errAt = (itemId: string, field: string) => {
    const n = chosen.findIndex((i) => i.id === itemId)
    return n >= 0 ? errors[`/items/${n}/${field}`] : undefined
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Dispense">
      <Stack gap="sm">
        <Title order={3} size="h5">
          Dispense
        </Title>
        {open.map((item) => {
          const l = lines[item.id] as Line
          const left = item.quantity - item.dispensedQuantity
          return (
            <Card key={item.id} withBorder padding="xs" data-testid="dispense-line">
              <Text fw={600} size="sm">
                {item.medicineName} — {item.dosage}, {item.frequency}
              </Text>
              <Text size="xs" c="dimmed" mb={4}>
                {left} of {item.quantity} left to dispense
              </Text>
              <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="xs">
                <NumberInput
                  label="Quantity"
                  min={0}
                  max={left}
                  clampBehavior="none"
                  allowDecimal={false}
                  value={l.quantity}
                  onChange={(v) => setLine(item.id, { quantity: v })}
                  error={errAt(item.id, 'quantity')}
                />
                <TextInput label="Batch number" value={l.batchNumber} onChange={(e) => setLine(item.id, { batchNumber: e.currentTarget.value })} error={errAt(item.id, 'batchNumber')} />
                <TextInput label="Expiry date" type="date" value={l.expiryDate} onChange={(e) => setLine(item.id, { expiryDate: e.currentTarget.value })} error={errAt(item.id, 'expiryDate')} />
                <NumberInput label="Unit price" min={0} decimalScale={2} value={l.unitPrice} onChange={(v) => setLine(item.id, { unitPrice: v })} error={errAt(item.id, 'unitPrice')} />
              </SimpleGrid>
            </Card>
          )
        })}
        <Textarea label="Notes (optional)" autosize minRows={1} maxLength={1000} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} />
        {(errors['/items'] || (dispense.isError && !unacknowledgedWarningsOf(dispense.error))) && (
          <Alert color="red" role="alert">
            {errors['/items'] ??
              (dispense.error instanceof ApiError && dispense.error.status === 409
                ? 'Someone dispensed part of this prescription meanwhile; nothing was changed. Look it up again.'
                : formErrorOf(dispense.error, (p) => p in errors))}
          </Alert>
        )}
        <SubmitRow loading={dispense.isPending}>
          Dispense {chosen.length > 0 ? `${chosen.length} item${chosen.length === 1 ? '' : 's'}` : ''}
        </SubmitRow>
      </Stack>
      <AcknowledgeWarnings
        key={(pending?.warnings ?? []).map((w) => w.message).join('\n')}
        rx={rx}
        warnings={pending?.warnings ?? []}
        opened={pending !== null}
        pending={dispense.isPending}
        onCancel={() => setPending(null)}
        onConfirm={() => pending && dispense.mutate({ ...pending.body, warningsAcknowledged: true })}
      />
    </form>
  )
}

function RejectForm({ rx, onDone }: { rx: Prescription; onDone: () => void }) {
  const [reason, setReason] = useState('')
  const [error, setError] = useState<string | undefined>()
  const reject = useMutation({ mutationFn: () => unwrap(api.POST('/api/v1/pharmacy/prescriptions/{id}/reject', { params: { path: { id: rx.id } }, body: { reason: reason.trim() } })), onSuccess: onDone })
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        setError(reason.trim() ? undefined : 'Give a reason; the prescriber and patient see it.')
        if (reason.trim() && window.confirm('Reject this prescription? It cannot be dispensed afterwards.')) reject.mutate()
      }}
      noValidate
      aria-label="Reject"
    >
      <Stack gap="xs">
        <Textarea label="Reason for rejecting" autosize minRows={1} maxLength={1000} value={reason} onChange={(e) => setReason(e.currentTarget.value)} error={error} />
        {reject.isError && (
          <Alert color="red" role="alert">
            {formErrorOf(reject.error)}
          </Alert>
        )}
        <SubmitRow color="red" variant="light" loading={reject.isPending}>
          Reject prescription
        </SubmitRow>
      </Stack>
    </form>
  )
}

function CheckResult({ check, onChange }: { check: PharmacyCheck; onChange: (c: PharmacyCheck) => void }) {
  const rx = check.prescription
  const revalidate = useMutation({ mutationFn: () => unwrap(api.POST('/api/v1/pharmacy/prescriptions/{id}/validate', { params: { path: { id: rx.id } }, body: {} })), onSuccess: onChange })
  const [dispensed, setDispensed] = useState<string | null>(null)
  const warnedItems = new Set(check.warnings.flatMap((w) => (w.itemId ? [w.itemId] : [])))
  return (
    <Stack gap="md" aria-live="polite" data-testid="check-result">
      <Group gap="xs">
        <Badge size="lg" color={check.isValid ? 'teal' : 'red'} data-testid="check-validity">
          {check.isValid ? 'Valid' : 'Not valid'}
        </Badge>
        <Badge size="lg" variant="light" color={check.canDispense ? 'teal' : 'gray'}>
          {check.canDispense ? 'Can dispense' : 'Nothing to dispense'}
        </Badge>
      </Group>
      {check.problems.length > 0 && (
        <Alert color="red" title="Problems — do not dispense" role="alert" data-testid="check-problems">
          <List size="sm">
            {check.problems.map((p) => (
              <List.Item key={p.code}>
                <strong>{p.code.replace(/_/g, ' ')}</strong>: {p.message}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
      {check.warnings.length > 0 && (
        <Alert color="orange" title="Warnings — check with the patient or prescriber before dispensing" data-testid="check-warnings">
          <List size="sm">
            {check.warnings.map((w, i) => (
              <List.Item key={i}>{w.message}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      {check.allergies && (
        <Text size="sm">
          Recorded allergies:{' '}
          {check.allergies.length === 0 ? 'none' : check.allergies.map((a) => `${a.substance}${a.severity ? ` (${a.severity})` : ''}`).join(', ')}
        </Text>
      )}
      {dispensed && (
        <Alert color="teal" role="status" title="Dispensed" data-testid="dispensed-ok">
          {dispensed}
        </Alert>
      )}
      <PrescriptionCard rx={rx} highlightItems={warnedItems} />
      {check.canDispense && (
        <Card withBorder>
          <DispenseForm
            key={rx.id + rx.dispensations.length}
            rx={rx}
            warnings={check.warnings}
            onDone={(updated) => {
              setDispensed(`${updated.prescriptionNumber} is now ${updated.status.replace(/_/g, ' ')}.`)
              revalidate.mutate()
            }}
          />
        </Card>
      )}
      {check.isValid && (
        <Card withBorder>
          <RejectForm rx={rx} onDone={() => revalidate.mutate()} />
        </Card>
      )}
      {revalidate.isError && (
        <Alert color="red" role="alert">
          {formErrorOf(revalidate.error)}
        </Alert>
      )}
    </Stack>
  )
}

export function CounterPage() {
  const [check, setCheck] = useState<PharmacyCheck | null>(null)
  return (
    <Page title="Counter" actions={check && <Button variant="default" onClick={() => setCheck(null)}>Next customer</Button>}>
      {!check ? <FindPrescription onFound={setCheck} /> : <CheckResult check={check} onChange={setCheck} />}
    </Page>
  )
}
