/**
 * An IPS (or any FHIR) Bundle as plain lines a person reads (SPEC §9 viewer): the Composition's
 * sections in the order a clinician looks first — allergies, problems, medications, vital
 * signs, results — then the rest; each entry as one line of text built from codes and values.
 * Never the narrative HTML (it comes from elsewhere: it is not rendered).
 */

type Json = Record<string, unknown>
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined)
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined)

export interface SummaryPatient {
  name?: string
  birthDate?: string
  gender?: string
}

export interface SummarySection {
  title: string
  code?: string
  lines: string[]
  /** The section says it is empty on purpose (`emptyReason`). */
  emptyReason?: string
}

export interface SummaryView {
  title?: string
  date?: string
  patient?: SummaryPatient
  sections: SummarySection[]
}

/** LOINC section codes in reading order (IPS IG). */
const ORDER = ['48765-2', '11450-4', '10160-0', '8716-3', '30954-2']

function conceptText(c: unknown): string | undefined {
  const concept = obj(c)
  if (!concept) return undefined
  return str(concept.text) ?? arr(concept.coding).map((x) => str(obj(x)?.display) ?? str(obj(x)?.code)).find(Boolean)
}

function quantity(q: unknown): string | undefined {
  const v = obj(q)
  if (!v || v.value === undefined) return undefined
  return `${String(v.value)}${str(v.unit) ?? str(v.code) ? ` ${str(v.unit) ?? str(v.code)}` : ''}`
}

/** LOINC systolic and diastolic blood pressure (the 85354-9 panel's components). */
const SYSTOLIC = '8480-6'
const DIASTOLIC = '8462-4'

/** A blood-pressure panel as it is read aloud: "132/88 mmHg"; undefined for anything else. */
function bloodPressure(components: Json[]): string | undefined {
  const part = (code: string) => obj(components.find((c) => arr(obj(c.code)?.coding).some((x) => str(obj(x)?.code) === code))?.valueQuantity)
  const sys = part(SYSTOLIC)
  const dia = part(DIASTOLIC)
  if (typeof sys?.value !== 'number' || typeof dia?.value !== 'number') return undefined
  const unit = str(sys.unit) ?? str(sys.code)
  return `${sys.value}/${dia.value}${unit ? ` ${unit}` : ''}`
}

function valueOf(r: Json): string | undefined {
  const bp = bloodPressure(arr(r.component).map(obj).filter((c): c is Json => c !== undefined))
  if (bp) return bp
  const components = arr(r.component)
    .map((c) => {
      const comp = obj(c)
      return comp ? `${conceptText(comp.code) ?? ''} ${quantity(comp.valueQuantity) ?? ''}`.trim() : undefined
    })
    .filter(Boolean)
  return quantity(r.valueQuantity) ?? str(r.valueString) ?? conceptText(r.valueCodeableConcept) ?? (components.length ? components.join(', ') : undefined)
}

const when = (v: unknown): string => (str(v) ? ` (${String(v).slice(0, 10)})` : '')

/** One resource as a line of text; `resolve` finds a referenced resource (a Medication). */
export function describeResource(r: Json, resolve: (ref: string) => Json | undefined): string {
  switch (r.resourceType) {
    case 'AllergyIntolerance': {
      const reactions = arr(r.reaction).flatMap((x) => arr(obj(x)?.manifestation).map(conceptText)).filter(Boolean)
      const severity = arr(r.reaction).map((x) => str(obj(x)?.severity)).find(Boolean) ?? str(r.criticality)
      return `${conceptText(r.code) ?? 'Allergy'}${reactions.length ? ` — ${reactions.join(', ')}` : ''}${severity ? ` (${severity})` : ''}`
    }
    case 'Condition':
      return `${conceptText(r.code) ?? 'Condition'}${conceptText(r.clinicalStatus) ? ` — ${conceptText(r.clinicalStatus)}` : ''}${when(r.onsetDateTime)}`
    case 'MedicationStatement':
    case 'MedicationRequest': {
      const ref = str(obj(r.medicationReference)?.reference)
      const med = conceptText(r.medicationCodeableConcept) ?? (ref ? conceptText(resolve(ref)?.code) : undefined) ?? 'Medication'
      const dose = arr(r.dosage ?? r.dosageInstruction).map((d) => str(obj(d)?.text)).find(Boolean)
      return `${med}${dose ? ` — ${dose}` : ''}`
    }
    case 'Observation':
      return `${conceptText(r.code) ?? 'Observation'}: ${valueOf(r) ?? 'no value'}${when(r.effectiveDateTime)}`
    case 'Immunization':
      return `${conceptText(r.vaccineCode) ?? 'Immunization'}${when(r.occurrenceDateTime)}`
    case 'Procedure':
      return `${conceptText(r.code) ?? 'Procedure'}${when(r.performedDateTime)}`
    default:
      return `${String(r.resourceType ?? 'Resource')}${conceptText(r.code) ? `: ${conceptText(r.code)}` : ''}`
  }
}

function patientOf(r: Json | undefined): SummaryPatient | undefined {
  if (!r) return undefined
  const name = obj(arr(r.name)[0])
  const text = name ? (str(name.text) ?? [...arr(name.given).map(String), str(name.family) ?? ''].join(' ').trim()) : undefined
  return { ...(text ? { name: text } : {}), ...(str(r.birthDate) ? { birthDate: String(r.birthDate) } : {}), ...(str(r.gender) ? { gender: String(r.gender) } : {}) }
}

/** `bundle` as sections of lines (see the module comment). A Bundle without a Composition lists its resources by type. */
export function summarize(bundle: unknown): SummaryView {
  const resources = arr(obj(bundle)?.entry).map((e) => ({ fullUrl: str(obj(e)?.fullUrl), r: obj(obj(e)?.resource) })).filter((e): e is { fullUrl: string | undefined; r: Json } => !!e.r)
  const byRef = new Map<string, Json>()
  for (const { fullUrl, r } of resources) {
    if (fullUrl) byRef.set(fullUrl, r)
    if (str(r.id)) byRef.set(`${String(r.resourceType)}/${String(r.id)}`, r)
  }
  const resolve = (ref: string) => byRef.get(ref) ?? byRef.get(ref.split('/').slice(-2).join('/'))
  const composition = resources.find((e) => e.r.resourceType === 'Composition')?.r
  const patient = patientOf(resources.find((e) => e.r.resourceType === 'Patient')?.r)
  if (!composition) {
    const groups = new Map<string, string[]>()
    for (const { r } of resources) {
      if (r.resourceType === 'Patient') continue
      const type = String(r.resourceType)
      groups.set(type, [...(groups.get(type) ?? []), describeResource(r, resolve)])
    }
    return { ...(patient ? { patient } : {}), sections: [...groups].map(([title, lines]) => ({ title, lines })) }
  }
  const sections: SummarySection[] = arr(composition.section).map((s) => {
    const section = obj(s) ?? {}
    const code = arr(obj(section.code)?.coding).map((c) => str(obj(c)?.code)).find(Boolean)
    const lines = arr(section.entry)
      .map((e) => str(obj(e)?.reference))
      .map((ref) => (ref ? resolve(ref) : undefined))
      .filter((r): r is Json => !!r)
      .map((r) => describeResource(r, resolve))
    const empty = conceptText(section.emptyReason)
    return { title: str(section.title) ?? conceptText(section.code) ?? 'Section', ...(code ? { code } : {}), lines, ...(empty ? { emptyReason: empty } : {}) }
  })
  const rank = (s: SummarySection) => (s.code && ORDER.includes(s.code) ? ORDER.indexOf(s.code) : ORDER.length)
  sections.sort((a, b) => rank(a) - rank(b))
  return {
    ...(str(composition.title) ? { title: String(composition.title) } : {}),
    ...(str(composition.date) ? { date: String(composition.date) } : {}),
    ...(patient ? { patient } : {}),
    sections,
  }
}
