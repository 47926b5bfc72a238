/**
 * The medical profile editor (SPEC §4.2): demographics, allergies, conditions, medications,
 * up to five emergency contacts, and what the emergency card shows (`emergencyCard`). The whole profile is PUT at once; the server's field
 * errors (`/emergencyContacts/0/phone`) appear under the matching input.
 */
import { Alert, Badge, Button, Card, Checkbox, Fieldset, Group, NumberInput, Select, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState, type FormEvent, type ReactNode } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { BLOOD_GROUPS, SEXES, type Allergy, type Condition, type EmergencyContact, type Medication, type Profile, type ProfileInput } from '../api/types'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { SubmitRow } from '../components/fields'
import { formatDateTime, humanize, todayIso } from '../components/format'
import { Page } from '../components/Page'
import { ErrorState, Loading } from '../components/states'
import { useLocker } from './locker'

/** The form's state: the profile without its read-only fields; list entries not saved yet have no id. */
type Draft = Omit<Profile, 'age' | 'updatedAt' | 'emergencyCardDefault' | 'allergies' | 'conditions' | 'medications' | 'emergencyContacts'> & {
  allergies: Allergy[]
  conditions: Condition[]
  medications: Medication[]
  emergencyContacts: EmergencyContact[]
}

const E164 = /^\+[1-9]\d{6,14}$/

/** Drops empty optional strings so the server sees them as absent. */
function clean<T extends object>(item: T): T {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(item)) {
    if (typeof v === 'string') {
      const t = v.trim()
      if (t !== '') out[k] = t
    } else if (v !== undefined && v !== null) out[k] = v
  }
  return out as T
}

function ListEditor<T>({
  legend,
  items,
  onChange,
  blank,
  addLabel,
  max,
  render,
  pathBase,
  errors,
}: {
  legend: string
  items: T[]
  onChange: (items: T[]) => void
  blank: T
  addLabel: string
  max?: number
  render: (item: T, set: (patch: Partial<T>) => void, err: (field: string) => string | undefined, index: number) => ReactNode
  pathBase: string
  errors: FieldErrors
}) {
  return (
    <Fieldset legend={legend}>
      <Stack gap="sm">
        {items.length === 0 && (
          <Text size="sm" c="dimmed">
            None recorded.
          </Text>
        )}
        {items.map((item, i) => (
          <Card key={i} withBorder padding="xs">
            <Stack gap="xs">
              {render(
                item,
                (patch) => onChange(items.map((x, j) => (j === i ? { ...x, ...patch } : x))),
                (field) => errors[`${pathBase}/${i}/${field}`],
                i,
              )}
              {errors[`${pathBase}/${i}`] && (
                <Text size="xs" c="red">
                  {errors[`${pathBase}/${i}`]}
                </Text>
              )}
              <Group justify="flex-end">
                <Button size="xs" variant="subtle" color="red" aria-label={`Remove ${legend.toLowerCase()} entry ${i + 1}`} onClick={() => onChange(items.filter((_, j) => j !== i))}>
                  Remove
                </Button>
              </Group>
            </Stack>
          </Card>
        ))}
        {errors[pathBase] && (
          <Text size="xs" c="red" role="alert">
            {errors[pathBase]}
          </Text>
        )}
        <Group>
          <Button size="xs" variant="light" onClick={() => onChange([...items, { ...blank }])} disabled={max !== undefined && items.length >= max}>
            {addLabel}
          </Button>
          {max !== undefined && (
            <Text size="xs" c="dimmed">
              {items.length} of at most {max}
            </Text>
          )}
        </Group>
      </Stack>
    </Fieldset>
  )
}

function toDraft(p: Profile): Draft {
  const { age: _age, updatedAt: _u, emergencyCardDefault: _d, ...rest } = p
  return rest
}

/**
 * "Show on my emergency card" (SPEC §4.2 `emergencyCard`, like Apple's Medical ID): with
 * "Use the default" the card shows what the server's rule picks (`emergencyCardDefault`:
 * active conditions without findings or social history, every medication); otherwise the
 * ticked entries. Only saved entries (with an id) can be chosen; allergies are always shown.
 */
function EmergencyCardPicker({
  draft,
  defaults,
  onChange,
  errors,
}: {
  draft: Draft
  defaults: Profile['emergencyCardDefault']
  onChange: (card: Draft['emergencyCard']) => void
  errors: FieldErrors
}) {
  const card = draft.emergencyCard
  const usesDefault = card.conditionIds === null && card.medicationIds === null
  const shown = {
    conditionIds: card.conditionIds ?? defaults.conditionIds,
    medicationIds: card.medicationIds ?? defaults.medicationIds,
  }
  const unsaved = draft.conditions.some((c) => !c.id) || draft.medications.some((m) => !m.id)
  const listError = Object.entries(errors).find(([path]) => path.startsWith('/emergencyCard'))?.[1]
  const group = (
    legend: string,
    items: { id?: string; label: string; note?: string }[],
    field: 'conditionIds' | 'medicationIds',
  ) => (
    <Checkbox.Group
      label={legend}
      value={shown[field]}
      onChange={(ids) => onChange({ ...shown, [field]: ids })}
    >
      <Stack gap={6} mt={6}>
        {items.filter((i) => i.id).length === 0 && (
          <Text size="sm" c="dimmed">
            None saved yet.
          </Text>
        )}
        {items.map(
          (i) =>
            i.id && (
              <Checkbox
                key={i.id}
                value={i.id}
                disabled={usesDefault}
                label={
                  <Group gap={6} wrap="nowrap" component="span">
                    <span>{i.label}</span>
                    {i.note && (
                      <Badge size="xs" variant="light" color="gray">
                        {i.note}
                      </Badge>
                    )}
                  </Group>
                }
              />
            ),
        )}
      </Stack>
    </Checkbox.Group>
  )
  return (
    <Fieldset legend="Emergency card" aria-label="Emergency card" data-testid="emergency-card-picker">
      <Stack gap="sm">
        <Text size="sm">
          Choose what a first responder sees when they scan your emergency card. Your allergies, blood group and contacts are always on it.
        </Text>
        <Checkbox
          label="Use the default: active conditions and all medications, leaving out findings and social history (such as employment or stress)"
          checked={usesDefault}
          onChange={(e) => onChange(e.currentTarget.checked ? { conditionIds: null, medicationIds: null } : shown)}
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          {group(
            'Conditions — show on my emergency card',
            draft.conditions.map((c) => ({ id: c.id, label: c.name, note: c.status === 'resolved' ? 'resolved' : undefined })),
            'conditionIds',
          )}
          {group(
            'Medications — show on my emergency card',
            draft.medications.map((m) => ({ id: m.id, label: m.dosage ? `${m.name} — ${m.dosage}` : m.name })),
            'medicationIds',
          )}
        </SimpleGrid>
        {unsaved && (
          <Text size="xs" c="dimmed">
            New entries can be chosen once the profile is saved{usesDefault ? '; the default includes them when they qualify' : ''}.
          </Text>
        )}
        {listError && (
          <Text size="xs" c="red" role="alert">
            {listError}
          </Text>
        )}
      </Stack>
    </Fieldset>
  )
}

export default function ProfilePage() {
  const qc = useQueryClient()
  const { pid, canManage } = useLocker()
  const profile = useQuery({ queryKey: queryKeys.profile(pid), queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/profile', { params: { path: { pid } } })) })
  const [draft, setDraft] = useState<Draft | null>(null)
  const [errors, setErrors] = useState<FieldErrors>({})
  const [saved, setSaved] = useState(false)

  useEffect(() => {
    if (profile.data && draft === null) setDraft(toDraft(profile.data))
  }, [profile.data, draft])

  const save = useMutation({
    mutationFn: (body: ProfileInput) => unwrap(api.PUT('/api/v1/patients/{pid}/profile', { params: { path: { pid } }, body })),
    onSuccess: (p) => {
      qc.setQueryData(queryKeys.profile(pid), p)
      setDraft(toDraft(p))
      setErrors({})
      setSaved(true)
    },
    onError: (err) => {
      setErrors(fieldErrorsOf(err))
      setSaved(false)
    },
  })

  if (profile.isPending || (profile.isSuccess && !draft)) return <Page title="Medical profile"><Loading /></Page>
  if (profile.isError || !draft) return <Page title="Medical profile"><ErrorState error={profile.error} onRetry={() => void profile.refetch()} /></Page>

  const set = (patch: Partial<Draft>) => {
    setSaved(false)
    setDraft({ ...draft, ...patch })
  }

  const validate = (): FieldErrors => {
    const out: FieldErrors = {}
    if (!draft.fullName.trim()) out['/fullName'] = 'Enter your full name.'
    if (draft.dateOfBirth && draft.dateOfBirth > todayIso()) out['/dateOfBirth'] = 'A date of birth cannot be in the future.'
    draft.allergies.forEach((a, i) => !a.substance.trim() && (out[`/allergies/${i}/substance`] = 'Name the substance.'))
    draft.conditions.forEach((c, i) => !c.name.trim() && (out[`/conditions/${i}/name`] = 'Name the condition.'))
    draft.medications.forEach((m, i) => !m.name.trim() && (out[`/medications/${i}/name`] = 'Name the medication.'))
    draft.emergencyContacts.forEach((c, i) => {
      if (!c.name.trim()) out[`/emergencyContacts/${i}/name`] = 'Enter a name.'
      if (!E164.test(c.phone.replace(/[\s-]/g, ''))) out[`/emergencyContacts/${i}/phone`] = 'Use international form, e.g. +14155550123.'
    })
    return out
  }

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const local = validate()
    setErrors(local)
    setSaved(false)
    if (Object.keys(local).length) return
    const body: ProfileInput = {
      fullName: draft.fullName.trim(),
      dateOfBirth: draft.dateOfBirth || null,
      sex: draft.sex,
      bloodGroup: (draft.bloodGroup || null) as ProfileInput['bloodGroup'],
      heightCm: draft.heightCm ?? null,
      organDonor: draft.organDonor,
      notes: draft.notes?.trim() ? draft.notes.trim() : null,
      allergies: draft.allergies.map(clean),
      conditions: draft.conditions.map(clean),
      medications: draft.medications.map(clean),
      emergencyContacts: draft.emergencyContacts.map((c) => clean({ ...c, phone: c.phone.replace(/[\s-]/g, '') })),
      // Entries removed in this edit drop out of the choice rather than fail the save.
      emergencyCard: {
        conditionIds: draft.emergencyCard.conditionIds?.filter((id) => draft.conditions.some((c) => c.id === id)) ?? null,
        medicationIds: draft.emergencyCard.medicationIds?.filter((id) => draft.medications.some((m) => m.id === id)) ?? null,
      },
    }
    save.mutate(body)
  }

  const fieldCount = Object.keys(errors).length
  return (
    <Page title="Medical profile">
      <form onSubmit={submit} noValidate aria-label="Medical profile">
        <fieldset disabled={!canManage} style={{ border: 0, margin: 0, padding: 0, minWidth: 0 }}>
        <Stack gap="md">
          <Fieldset legend="About you">
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
              <TextInput label="Full name" required value={draft.fullName} onChange={(e) => set({ fullName: e.currentTarget.value })} error={errors['/fullName']} />
              <TextInput
                label="Date of birth"
                type="date"
                max={todayIso()}
                value={draft.dateOfBirth ?? ''}
                onChange={(e) => set({ dateOfBirth: e.currentTarget.value || null })}
                error={errors['/dateOfBirth']}
              />
              <Select
                label="Sex"
                data={SEXES.map((s) => ({ value: s, label: humanize(s) }))}
                value={draft.sex}
                onChange={(v) => v && set({ sex: v as Draft['sex'] })}
                allowDeselect={false}
                error={errors['/sex']}
              />
              <Select
                label="Blood group"
                placeholder="Unknown"
                data={[...BLOOD_GROUPS]}
                value={draft.bloodGroup}
                onChange={(v) => set({ bloodGroup: v })}
                clearable
                error={errors['/bloodGroup']}
              />
              <NumberInput
                label="Height (cm)"
                min={20}
                max={280}
                value={draft.heightCm ?? ''}
                onChange={(v) => set({ heightCm: v === '' ? null : Number(v) })}
                error={errors['/heightCm']}
              />
              <Select
                label="Organ donor"
                placeholder="Not stated"
                data={[
                  { value: 'yes', label: 'Yes' },
                  { value: 'no', label: 'No' },
                ]}
                value={draft.organDonor === null ? null : draft.organDonor ? 'yes' : 'no'}
                onChange={(v) => set({ organDonor: v === null ? null : v === 'yes' })}
                clearable
                error={errors['/organDonor']}
              />
            </SimpleGrid>
            <Textarea mt="sm" label="Notes for caregivers" maxLength={2000} autosize minRows={2} value={draft.notes ?? ''} onChange={(e) => set({ notes: e.currentTarget.value })} error={errors['/notes']} />
          </Fieldset>

          <ListEditor<Allergy>
            legend="Allergies"
            items={draft.allergies}
            onChange={(allergies) => set({ allergies })}
            blank={{ substance: '' }}
            addLabel="Add allergy"
            pathBase="/allergies"
            errors={errors}
            render={(a, setA, err, i) => (
              <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
                <TextInput label="Substance" required value={a.substance} onChange={(e) => setA({ substance: e.currentTarget.value })} error={err('substance')} id={`allergy-${i}-substance`} />
                <TextInput label="Reaction" value={a.reaction ?? ''} onChange={(e) => setA({ reaction: e.currentTarget.value })} error={err('reaction')} />
                <Select
                  label="Severity"
                  placeholder="Not stated"
                  data={['mild', 'moderate', 'severe'].map((s) => ({ value: s, label: humanize(s) }))}
                  value={a.severity ?? null}
                  onChange={(v) => setA({ severity: (v ?? undefined) as Allergy['severity'] })}
                  clearable
                  error={err('severity')}
                />
              </SimpleGrid>
            )}
          />

          <ListEditor<Condition>
            legend="Conditions"
            items={draft.conditions}
            onChange={(conditions) => set({ conditions })}
            blank={{ name: '', status: 'active' }}
            addLabel="Add condition"
            pathBase="/conditions"
            errors={errors}
            render={(c, setC, err) => (
              <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
                <TextInput label="Condition" required value={c.name} onChange={(e) => setC({ name: e.currentTarget.value })} error={err('name')} />
                <Select
                  label="Status"
                  data={[
                    { value: 'active', label: 'Active' },
                    { value: 'resolved', label: 'Resolved' },
                  ]}
                  value={c.status ?? null}
                  onChange={(v) => setC({ status: (v ?? undefined) as Condition['status'] })}
                  clearable
                  error={err('status')}
                />
                <TextInput label="Since" type="date" max={todayIso()} value={c.since ?? ''} onChange={(e) => setC({ since: e.currentTarget.value || undefined })} error={err('since')} />
              </SimpleGrid>
            )}
          />

          <ListEditor<Medication>
            legend="Medications"
            items={draft.medications}
            onChange={(medications) => set({ medications })}
            blank={{ name: '' }}
            addLabel="Add medication"
            pathBase="/medications"
            errors={errors}
            render={(m, setM, err) => (
              <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="xs">
                <TextInput label="Medication" required value={m.name} onChange={(e) => setM({ name: e.currentTarget.value })} error={err('name')} />
                <TextInput label="Dosage" value={m.dosage ?? ''} onChange={(e) => setM({ dosage: e.currentTarget.value })} error={err('dosage')} />
                <TextInput label="Frequency" value={m.frequency ?? ''} onChange={(e) => setM({ frequency: e.currentTarget.value })} error={err('frequency')} />
                <TextInput label="Since" type="date" max={todayIso()} value={m.since ?? ''} onChange={(e) => setM({ since: e.currentTarget.value || undefined })} error={err('since')} />
              </SimpleGrid>
            )}
          />

          <ListEditor<EmergencyContact>
            legend="Emergency contacts"
            items={draft.emergencyContacts}
            onChange={(emergencyContacts) => set({ emergencyContacts })}
            blank={{ name: '', phone: '' }}
            addLabel="Add contact"
            max={5}
            pathBase="/emergencyContacts"
            errors={errors}
            render={(c, setC, err) => (
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
                <TextInput label="Name" required value={c.name} onChange={(e) => setC({ name: e.currentTarget.value })} error={err('name')} />
                <TextInput label="Relationship" value={c.relationship ?? ''} onChange={(e) => setC({ relationship: e.currentTarget.value })} error={err('relationship')} />
                <TextInput
                  label="Phone"
                  description="International form, e.g. +14155550123 — they get an SMS when your emergency card is opened."
                  type="tel"
                  autoComplete="off"
                  required
                  value={c.phone}
                  onChange={(e) => setC({ phone: e.currentTarget.value })}
                  error={err('phone')}
                />
                <TextInput label="Email" type="email" value={c.email ?? ''} onChange={(e) => setC({ email: e.currentTarget.value })} error={err('email')} />
              </SimpleGrid>
            )}
          />

          <EmergencyCardPicker
            draft={draft}
            defaults={profile.data?.emergencyCardDefault ?? { conditionIds: [], medicationIds: [] }}
            onChange={(emergencyCard) => set({ emergencyCard })}
            errors={errors}
          />

          {fieldCount > 0 && (
            <Alert color="red" role="alert" title="Please check the highlighted fields">
              {save.isError ? formErrorOf(save.error, (p) => p in errors) : fieldCount === 1 ? 'One field needs your attention: see the message under it.' : `${fieldCount} fields need your attention: see the messages under them.`}
            </Alert>
          )}
          {save.isError && fieldCount === 0 && (
            <Alert color="red" role="alert" title="Could not save">
              {formErrorOf(save.error)}
            </Alert>
          )}
          {saved && (
            <Alert color="teal" role="status" title="Saved">
              Your profile was saved{profile.data?.updatedAt ? ` (${formatDateTime(profile.data.updatedAt)})` : ''}.
            </Alert>
          )}
          {canManage ? (
            <SubmitRow loading={save.isPending}>
              Save profile
            </SubmitRow>
          ) : (
            <Text size="sm" c="dimmed">
              Read only: your caregiver access does not allow changes.
            </Text>
          )}
          <Title order={3} size="h6" c="dimmed">
            Age: {profile.data?.age ?? '—'}
          </Title>
        </Stack>
        </fieldset>
      </form>
    </Page>
  )
}
