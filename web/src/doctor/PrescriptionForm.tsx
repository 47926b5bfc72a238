/**
 * Write a prescription (SPEC §4.9): diagnosis, validity, and 1–20 item rows. The server's
 * field errors (`/items/0/quantity`) land under the matching cell. A 409 `allergy-warning`
 * (an item matches one of the patient's recorded allergies) interrupts with a dialog naming
 * each medicine and allergy: change the prescription, or prescribe anyway with a reason
 * (at least 10 characters) that the pharmacist will see.
 */
import { Alert, Button, Card, Group, List, Modal, NumberInput, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { api, ApiError, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { AllergyWarning, Prescription, PrescriptionInput } from '../api/types'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'

/** The server's minimum for an override reason (SPEC §4.9). */
const MIN_REASON = 10

/** The warnings of a 409 `allergy-warning`, or null for any other error. */
function allergyWarningsOf(err: unknown): AllergyWarning[] | null {
  if (!(err instanceof ApiError) || err.status !== 409 || err.slug !== 'allergy-warning') return null
  return Array.isArray(err.body.warnings) ? (err.body.warnings as AllergyWarning[]) : []
}

interface ItemDraft {
  medicineName: string
  dosage: string
  frequency: string
  quantity: number | string
  durationDays: number | string
  instructions: string
}

const blankItem = (): ItemDraft => ({ medicineName: '', dosage: '', frequency: '', quantity: '', durationDays: '', instructions: '' })

export function PrescriptionForm({ patientId, onCreated }: { patientId: string; onCreated?: (rx: Prescription) => void }) {
  const qc = useQueryClient()
  const [diagnosis, setDiagnosis] = useState('')
  const [notes, setNotes] = useState('')
  const [validDays, setValidDays] = useState<number | string>(30)
  const [items, setItems] = useState<ItemDraft[]>([blankItem()])
  const [errors, setErrors] = useState<FieldErrors>({})
  /** The allergy warnings of the last attempt and the body it sent, while the dialog is open. */
  const [warned, setWarned] = useState<{ warnings: AllergyWarning[]; body: PrescriptionInput } | null>(null)
  const [reason, setReason] = useState('')
  const [reasonError, setReasonError] = useState<string | undefined>()

  const create = useMutation({
    mutationFn: (body: PrescriptionInput) => unwrap(api.POST('/api/v1/prescriptions', { body })),
    onSuccess: (rx) => {
      setDiagnosis('')
      setNotes('')
      setItems([blankItem()])
      setErrors({})
      setWarned(null)
      setReason('')
      setReasonError(undefined)
      void qc.invalidateQueries({ queryKey: queryKeys.prescriptions })
      onCreated?.(rx)
    },
    onError: (err, body) => {
      const warnings = allergyWarningsOf(err)
      if (warnings) {
        setWarned({ warnings, body })
        return
      }
      const fields = fieldErrorsOf(err)
      setErrors(fields)
      if (fields['/allergyOverride/reason']) setReasonError(fields['/allergyOverride/reason'])
    },
  })

  const prescribeAnyway = () => {
    if (!warned) return
    if (reason.trim().length < MIN_REASON) {
      setReasonError(`Give the reason in at least ${MIN_REASON} characters; the pharmacist will see it.`)
      return
    }
    setReasonError(undefined)
    create.mutate({ ...warned.body, allergyOverride: { reason: reason.trim() } })
  }
  const changePrescription = () => {
    setWarned(null)
    setReasonError(undefined)
    create.reset()
  }

  const setItem = (i: number, patch: Partial<ItemDraft>) => setItems(items.map((x, j) => (j === i ? { ...x, ...patch } : x)))

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const local: FieldErrors = {}
    if (!diagnosis.trim()) local['/diagnosis'] = 'Enter the diagnosis.'
    if (validDays === '' || Number(validDays) < 1 || Number(validDays) > 180) local['/validDays'] = 'Between 1 and 180 days.'
    items.forEach((it, i) => {
      if (!it.medicineName.trim()) local[`/items/${i}/medicineName`] = 'Name the medicine.'
      if (!it.dosage.trim()) local[`/items/${i}/dosage`] = 'Enter the dosage.'
      if (!it.frequency.trim()) local[`/items/${i}/frequency`] = 'Enter how often.'
      if (it.quantity === '' || Number(it.quantity) < 1) local[`/items/${i}/quantity`] = 'At least 1.'
    })
    setErrors(local)
    if (Object.keys(local).length) return
    create.mutate({
      patientId,
      diagnosis: diagnosis.trim(),
      ...(notes.trim() ? { notes: notes.trim() } : {}),
      validDays: Number(validDays),
      items: items.map((it) => ({
        medicineName: it.medicineName.trim(),
        dosage: it.dosage.trim(),
        frequency: it.frequency.trim(),
        quantity: Number(it.quantity),
        ...(it.durationDays !== '' ? { durationDays: Number(it.durationDays) } : {}),
        ...(it.instructions.trim() ? { instructions: it.instructions.trim() } : {}),
      })),
    })
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Write a prescription">
      <Stack gap="sm">
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
          <TextInput label="Diagnosis" required value={diagnosis} onChange={(e) => setDiagnosis(e.currentTarget.value)} error={errors['/diagnosis']} />
          <NumberInput label="Valid for (days)" min={1} max={180} value={validDays} onChange={setValidDays} allowDecimal={false} error={errors['/validDays']} />
        </SimpleGrid>
        <Textarea label="Notes for the pharmacist (optional)" autosize minRows={1} maxLength={2000} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} error={errors['/notes']} />
        <Title order={4} size="h6">
          Items
        </Title>
        {items.map((it, i) => (
          <Card key={i} withBorder padding="xs" aria-label={`Item ${i + 1}`} component="fieldset" style={{ margin: 0 }}>
            <legend className="visually-hidden">Item {i + 1}</legend>
            <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="xs">
              <TextInput label="Medicine" required value={it.medicineName} onChange={(e) => setItem(i, { medicineName: e.currentTarget.value })} error={errors[`/items/${i}/medicineName`]} />
              <TextInput label="Dosage" placeholder="e.g. 500 mg" required value={it.dosage} onChange={(e) => setItem(i, { dosage: e.currentTarget.value })} error={errors[`/items/${i}/dosage`]} />
              <TextInput label="Frequency" placeholder="e.g. twice daily" required value={it.frequency} onChange={(e) => setItem(i, { frequency: e.currentTarget.value })} error={errors[`/items/${i}/frequency`]} />
              <NumberInput label="Quantity" required min={1} max={10000} allowDecimal={false} value={it.quantity} onChange={(v) => setItem(i, { quantity: v })} error={errors[`/items/${i}/quantity`]} />
              <NumberInput label="Duration (days)" min={1} max={365} allowDecimal={false} value={it.durationDays} onChange={(v) => setItem(i, { durationDays: v })} error={errors[`/items/${i}/durationDays`]} />
              <TextInput label="Instructions" value={it.instructions} onChange={(e) => setItem(i, { instructions: e.currentTarget.value })} error={errors[`/items/${i}/instructions`]} />
            </SimpleGrid>
            {items.length > 1 && (
              <Group justify="flex-end" mt={4}>
                <Button size="xs" variant="subtle" color="red" onClick={() => setItems(items.filter((_, j) => j !== i))} aria-label={`Remove item ${i + 1}`}>
                  Remove item
                </Button>
              </Group>
            )}
          </Card>
        ))}
        {errors['/items'] && (
          <Text size="xs" c="red">
            {errors['/items']}
          </Text>
        )}
        <Group justify="space-between">
          <Button variant="light" size="xs" onClick={() => setItems([...items, blankItem()])} disabled={items.length >= 20}>
            Add item
          </Button>
          <Button type="submit" loading={create.isPending}>
            Issue prescription
          </Button>
        </Group>
        {create.isError && !warned && (
          <Alert color="red" role="alert" title="Could not issue the prescription">
            {formErrorOf(create.error, (p) => p in errors || p === '/allergyOverride/reason')}
          </Alert>
        )}
        {create.isSuccess && (
          <Alert color="teal" role="status" title="Prescription issued" data-testid="rx-issued">
            {create.data.prescriptionNumber} — reference {create.data.referenceNumber}. The patient was emailed the QR code.
            {create.data.prescriberWarnings && ' Your allergy override and its reason go with the prescription to the pharmacist.'}
          </Alert>
        )}
      </Stack>
      <Modal
        opened={warned !== null}
        onClose={changePrescription}
        closeOnClickOutside={false}
        title={<Text fw={700} c="red.8">Allergy warning</Text>}
        size="lg"
        data-testid="allergy-warning-dialog"
      >
        <Stack gap="sm">
          <Text size="sm">This prescription matches the patient's recorded allergies. Nothing has been issued.</Text>
          <Alert color="red" variant="light" p="sm">
            <List size="sm" spacing={6}>
              {(warned?.warnings ?? []).map((w, i) => {
                const item = (warned?.body.items as { medicineName?: string }[] | undefined)?.[w.itemIndex]
                return (
                  <List.Item key={i} data-testid="allergy-warning">
                    <strong>{item?.medicineName ?? `Item ${w.itemIndex + 1}`}</strong> — allergy to <strong>{w.substance}</strong>. {w.message}
                  </List.Item>
                )
              })}
            </List>
          </Alert>
          <Textarea
            label="Reason for prescribing anyway"
            description="Required, at least 10 characters. Kept with the prescription and shown to the pharmacist."
            required
            autosize
            minRows={2}
            maxLength={1000}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            error={reasonError}
            data-autofocus
          />
          {create.isError && !allergyWarningsOf(create.error) && !reasonError && (
            <Alert color="red" role="alert">
              {formErrorOf(create.error)}
            </Alert>
          )}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={changePrescription}>
              Change prescription
            </Button>
            <Button color="red" onClick={prescribeAnyway} loading={create.isPending}>
              Prescribe anyway
            </Button>
          </Group>
        </Stack>
      </Modal>
    </form>
  )
}
