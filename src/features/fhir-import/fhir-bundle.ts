/**
 * Maps a FHIR R4 Bundle (Synthea 3.x, 2019 Synthea, IPS documents) to an import plan
 * (SPEC §4.4). Pure: no database, no HTTP; the import service writes the plan in one
 * transaction and uses `fhirId` to make a second import of the same bundle add nothing
 * (`fhirId` is the resource `id`, else the entry's `fullUrl`, else `sha256:` of the resource JSON).
 *
 * The input is untrusted JSON: every field is read defensively and a resource that cannot be
 * used is counted in `skipped` with a reason, never thrown on. Only a non-Bundle is an error.
 */
import { createHash } from 'node:crypto'
import { ValidationError } from '../../app/errors.js'
import type { RecordCategory } from '../records/record-category.js'
import {
  DIASTOLIC_LOINC,
  SYSTOLIC_LOINC,
  normalizeVital,
  unitConverter,
  vitalTypeForLoinc,
  type GlucoseContext,
  type VitalFlag,
  type VitalInput,
  type VitalType,
} from '../vitals/vital-types.js'

/** A code as imported (SNOMED CT, RxNorm, LOINC…), SPEC §4.2. */
export interface Coding {
  system: string
  code: string
  display?: string
}

export type Sex = 'female' | 'male' | 'other' | 'unknown'
export type AllergySeverity = 'mild' | 'moderate' | 'severe'

export interface ImportedAllergy {
  fhirId: string
  /** ISO instant of `recordedDate` (else onset); `null` when the resource has neither. */
  recordedAt: string | null
  substance: string
  reaction?: string
  severity?: AllergySeverity
  code?: Coding
}

export interface ImportedCondition {
  fhirId: string
  recordedAt: string | null
  name: string
  status: 'active' | 'resolved'
  /** `YYYY-MM-DD`; a partial FHIR date (`2015`, `2015-03`) is completed with the 1st. */
  since?: string
  code?: Coding
}

export interface ImportedMedication {
  fhirId: string
  recordedAt: string | null
  name: string
  dosage?: string
  frequency?: string
  since?: string
  active: boolean
  code?: Coding
}

export interface ImportedVital {
  fhirId: string
  type: VitalType
  /** The catalogue's LOINC (a legacy 55284-4 panel is stored as 85354-9). */
  loinc: string
  value?: number
  systolic?: number
  diastolic?: number
  /** Canonical unit of the type (SPEC §4.8). */
  unit: string
  context?: GlucoseContext
  /** ISO instant (UTC). */
  measuredAt: string
  flag: VitalFlag
}

export interface ImportedAttachment {
  fhirId: string
  resourceType: 'DocumentReference' | 'DiagnosticReport'
  /** As declared by the bundle, without parameters (`text/plain`); the bytes still decide (SPEC §4.3). */
  contentType: string
  data: Buffer
  title: string
  /** `YYYY-MM-DD`. */
  recordDate: string
  category: RecordCategory
  doctorName?: string
  description?: string
}

export interface SkippedResources {
  resourceType: string
  count: number
  reason: string
}

export interface ImportPlan {
  /** `fullName` is the chosen display name; `names` every name of the Patient (official, usual, maiden, old…), for the identity check (SPEC §4.4). */
  demographics: { fullName?: string; names?: string[]; dateOfBirth?: string; sex?: Sex }
  allergies: ImportedAllergy[]
  conditions: ImportedCondition[]
  medications: ImportedMedication[]
  vitals: ImportedVital[]
  attachments: ImportedAttachment[]
  /** Grouped by resource type and reason, in order of first appearance. */
  skipped: SkippedResources[]
}

export interface ParseOptions {
  /** Fallback `recordDate` for an attachment without any date (default: now). */
  now?: Date
}

// Reasons are stable strings: the import summary shows them and tests compare them.
export const SKIP_REASON = {
  notImported: 'resource type not imported',
  medication: 'read through the medications that reference it',
  otherObservation: 'not one of the tracked vital signs',
  noValue: 'vital sign without a value',
  noTime: 'vital sign without a time',
  badUnit: 'vital sign in a unit that does not fit its type',
  implausible: 'vital sign value outside the plausible range',
  noAttachment: 'no attachment',
  duplicateAttachment: 'same document as an attachment already imported from this bundle',
  enteredInError: 'entered in error or refuted',
  negation: 'states an absence (no known allergies, problems or medications)',
  noName: 'no name or code text',
  extraPatient: 'more than one Patient in the bundle',
  noResourceType: 'entry without a resource',
} as const

const LOINC = 'http://loinc.org'
const SNOMED = 'http://snomed.info/sct'
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm'

// ---------------------------------------------------------------------------------------------
// Lenient readers for untrusted JSON.

type Json = Record<string, unknown>

const obj = (x: unknown): Json | undefined =>
  typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Json) : undefined
const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : [])
const objs = (x: unknown): Json[] => arr(x).flatMap<Json>((e) => {
  const o = obj(e)
  return o ? [o] : []
})
const str = (x: unknown): string | undefined => (typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined)
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined)

function codings(concept: unknown): Json[] {
  return objs(obj(concept)?.coding)
}

/** `CodeableConcept.text`, else the first coding's display, else its code. */
function conceptText(concept: unknown): string | undefined {
  const c = obj(concept)
  if (!c) return undefined
  const cs = codings(c)
  return str(c.text) ?? cs.map((x) => str(x.display)).find(Boolean) ?? cs.map((x) => str(x.code)).find(Boolean)
}

/** The first coding with system and code, preferring `systems` in order. */
function pickCoding(concept: unknown, systems: readonly string[]): Coding | undefined {
  const usable = codings(concept).flatMap((c) => {
    const system = str(c.system)
    const code = str(c.code)
    if (!system || !code) return []
    const display = str(c.display)
    return [display ? { system, code, display } : { system, code }]
  })
  for (const s of systems) {
    const hit = usable.find((c) => c.system === s)
    if (hit) return hit
  }
  return usable[0]
}

/** First code of a status CodeableConcept (`clinicalStatus`, `verificationStatus`). */
const statusCode = (concept: unknown): string | undefined =>
  codings(concept).map((c) => str(c.code)).find(Boolean)

const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/

/** FHIR date/dateTime → `YYYY-MM-DD` as written (the source's calendar date); partial dates get the 1st. */
function toDate(x: unknown): string | undefined {
  const s = str(x)
  const m = s ? FHIR_DATE.exec(s) : null
  if (!m) return undefined
  const date = `${m[1]}-${m[2] ?? '01'}-${m[3] ?? '01'}`
  const t = Date.parse(`${date}T00:00:00Z`)
  // Round-trip so that 2015-02-30 is refused rather than rolled over to March.
  return !Number.isNaN(t) && new Date(t).toISOString().startsWith(date) ? date : undefined
}

/**
 * FHIR date/dateTime/instant → ISO instant in UTC (`…Z`). A date alone is midnight UTC, and so is
 * a time without an offset (FHIR requires one; the server's time zone must not decide).
 */
function toInstant(x: unknown): string | undefined {
  const s = str(x)
  if (!s || !toDate(s)) return undefined
  const full = /^\d{4}$/.test(s)
    ? `${s}-01-01`
    : /^\d{4}-\d{2}$/.test(s)
      ? `${s}-01`
      : /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)
        ? `${s}Z`
        : s
  const t = Date.parse(full)
  return Number.isNaN(t) ? undefined : new Date(t).toISOString()
}

// ---------------------------------------------------------------------------------------------
// References: `urn:uuid:…` (fullUrl), `Type/id`, absolute URLs, and conditional
// `Type?identifier=system|value` (modern Synthea). Unresolvable ones resolve to undefined.

class ReferenceIndex {
  private readonly byKey = new Map<string, Json>()
  private readonly all: Json[] = []

  add(fullUrl: string | undefined, resource: Json): void {
    this.all.push(resource)
    const type = str(resource.resourceType)
    const id = str(resource.id)
    if (fullUrl) {
      this.byKey.set(fullUrl, resource)
      const tail = /([A-Za-z]+\/[^/]+)$/.exec(fullUrl) // http://server/fhir/Patient/123 → Patient/123
      if (tail?.[1] && !fullUrl.startsWith('urn:')) this.byKey.set(tail[1], resource)
    }
    if (type && id) this.byKey.set(`${type}/${id}`, resource)
  }

  resolve(ref: unknown): Json | undefined {
    const reference = str(obj(ref)?.reference)?.replace(/\/_history\/[^/]*$/, '')
    if (!reference) return undefined
    if (reference.startsWith('#')) return undefined // contained: handled by the caller
    const direct = this.byKey.get(reference) ?? this.byKey.get(/([A-Za-z]+\/[^/]+)$/.exec(reference)?.[1] ?? '')
    if (direct) return direct
    const conditional = /^([A-Za-z]+)\?identifier=([^&]*)$/.exec(reference)
    if (!conditional) return undefined
    const [, type, token = ''] = conditional
    const decoded = safeDecode(token)
    const bar = decoded.lastIndexOf('|')
    const system = bar >= 0 ? decoded.slice(0, bar) : undefined
    const value = bar >= 0 ? decoded.slice(bar + 1) : decoded
    return this.all.find(
      (r) =>
        r.resourceType === type &&
        objs(r.identifier).some((i) => i.value === value && (system === undefined || system === '' || i.system === system)),
    )
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** One HumanName as written: given names + family, else `text` (prefixes and suffixes left out). */
function nameText(name: Json): string | undefined {
  const parts = [...arr(name.given).flatMap((g) => str(g) ?? []), ...(str(name.family) ? [str(name.family) as string] : [])]
  return parts.length > 0 ? parts.join(' ') : str(name.text)
}

/** A person's name: the official one, else usual, else any current one, else the first. */
function humanName(names: unknown): string | undefined {
  const list = objs(names)
  const name =
    list.find((n) => n.use === 'official') ?? list.find((n) => n.use === 'usual') ?? list.find((n) => n.use !== 'old' && n.use !== 'maiden') ?? list[0]
  return name ? nameText(name) : undefined
}

/** Display of a Reference, else the name of the resource it points to. */
function personName(ref: unknown, refs: ReferenceIndex): string | undefined {
  const display = str(obj(ref)?.display)
  if (display) return display
  const target = refs.resolve(ref)
  if (!target) return undefined
  return target.resourceType === 'Organization' ? str(target.name) : humanName(target.name)
}

// ---------------------------------------------------------------------------------------------

/**
 * Parses a FHIR R4 Bundle into an {@link ImportPlan} (SPEC §4.4, vitals per §4.8):
 * - Patient → demographics (official name: given + family, kept as written — Synthea's digits
 *   included; every name as `names` for the identity check; `birthDate` when a full date; `gender`).
 * - AllergyIntolerance → allergies; Condition → conditions (active | resolved from clinicalStatus);
 *   MedicationRequest / MedicationStatement → medications (name from the concept or the
 *   referenced/contained Medication; `active` = status active). "No known …" statements and
 *   entered-in-error/refuted resources are skipped.
 * - Observations whose LOINC is in the vitals catalogue (any category: Synthea files glucose as
 *   laboratory) → vitals in canonical units; a blood-pressure panel (85354-9 or legacy 55284-4)
 *   is one vital. A value that fails {@link normalizeVital} is skipped, not thrown.
 * - DocumentReference `content[].attachment` and DiagnosticReport `presentedForm[]` with inline
 *   base64 `data` → attachments (the first inline one per resource; the same bytes twice in a
 *   bundle are imported once, DocumentReferences first — modern Synthea writes every note both
 *   as a DocumentReference and as a DiagnosticReport).
 * - Everything else → `skipped`, grouped by resource type and reason.
 *
 * Throws `ValidationError` when `json` is not a Bundle with an `entry` array. Never throws on
 * the content of an entry.
 */
export function parseFhirBundle(json: unknown, options: ParseOptions = {}): ImportPlan {
  const bundle = obj(json)
  if (!bundle || bundle.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) {
    throw new ValidationError('Expected a FHIR R4 Bundle: a JSON object with resourceType "Bundle" and an entry array.', [
      {
        path: bundle && bundle.resourceType === 'Bundle' ? '/entry' : '/resourceType',
        message: bundle && bundle.resourceType === 'Bundle' ? 'Must be an array of entries.' : 'Must be "Bundle".',
      },
    ])
  }

  const refs = new ReferenceIndex()
  const resources: Array<{ r: Json; fhirId: string }> = []
  const skipped = new SkipCounter()
  for (const entry of bundle.entry) {
    const resource = obj(obj(entry)?.resource)
    if (!resource || !str(resource.resourceType)) {
      skipped.add('Unknown', SKIP_REASON.noResourceType)
      continue
    }
    const fullUrl = str(obj(entry)?.fullUrl)
    refs.add(fullUrl, resource)
    // `id`, else `fullUrl`, else the content itself: stable across imports of the same bundle.
    const fhirId =
      str(resource.id) ?? fullUrl ?? `sha256:${createHash('sha256').update(JSON.stringify(resource)).digest('hex')}`
    resources.push({ r: resource, fhirId })
  }

  const plan: ImportPlan = {
    demographics: {},
    allergies: [],
    conditions: [],
    medications: [],
    vitals: [],
    attachments: [],
    skipped: [],
  }
  const fallbackDate = toDate(bundle.timestamp) ?? (options.now ?? new Date()).toISOString().slice(0, 10)
  const seenAttachments = new Set<string>()
  let patientSeen = false

  // DocumentReferences before DiagnosticReports, so a note in both keeps the richer metadata.
  const order = (x: { r: Json }) => (x.r.resourceType === 'DiagnosticReport' ? 1 : 0)
  const ordered = [...resources].sort((a, b) => order(a) - order(b))

  for (const { r, fhirId } of ordered) {
    const type = r.resourceType as string
    if (type !== 'Patient' && isEnteredInError(r)) {
      skipped.add(type, SKIP_REASON.enteredInError)
      continue
    }
    switch (type) {
      case 'Patient':
        if (patientSeen) skipped.add(type, SKIP_REASON.extraPatient)
        else plan.demographics = mapPatient(r)
        patientSeen = true
        break
      case 'AllergyIntolerance':
        take(plan.allergies, mapAllergy(r, fhirId), type, skipped)
        break
      case 'Condition':
        take(plan.conditions, mapCondition(r, fhirId), type, skipped)
        break
      case 'MedicationRequest':
      case 'MedicationStatement':
        take(plan.medications, mapMedication(r, fhirId, refs), type, skipped)
        break
      case 'Observation':
        take(plan.vitals, mapVital(r, fhirId), type, skipped)
        break
      case 'DocumentReference':
      case 'DiagnosticReport': {
        const result = mapAttachment(r, fhirId, refs, fallbackDate)
        if (typeof result === 'string') {
          skipped.add(type, result)
          break
        }
        const digest = createHash('sha256').update(result.data).digest('hex')
        if (seenAttachments.has(digest)) skipped.add(type, SKIP_REASON.duplicateAttachment)
        else {
          seenAttachments.add(digest)
          plan.attachments.push(result)
        }
        break
      }
      case 'Medication':
        skipped.add(type, SKIP_REASON.medication)
        break
      default:
        skipped.add(type, SKIP_REASON.notImported)
    }
  }
  plan.skipped = skipped.list()
  return plan
}

class SkipCounter {
  private readonly counts = new Map<string, SkippedResources>()
  add(resourceType: string, reason: string): void {
    const key = `${resourceType}\u0000${reason}`
    const hit = this.counts.get(key)
    if (hit) hit.count++
    else this.counts.set(key, { resourceType, count: 1, reason })
  }
  list(): SkippedResources[] {
    return [...this.counts.values()]
  }
}

/** Pushes a mapped item, or counts the reason it was skipped. */
function take<T>(into: T[], result: T | string, resourceType: string, skipped: SkipCounter): void {
  if (typeof result === 'string') skipped.add(resourceType, result)
  else into.push(result)
}

function isEnteredInError(r: Json): boolean {
  if (r.status === 'entered-in-error') return true
  const v = statusCode(r.verificationStatus)
  return v === 'entered-in-error' || v === 'refuted'
}

function mapPatient(r: Json): ImportPlan['demographics'] {
  const out: ImportPlan['demographics'] = {}
  const fullName = humanName(r.name)
  if (fullName) out.fullName = fullName
  const names = objs(r.name).flatMap((n) => nameText(n) ?? [])
  if (names.length > 0) out.names = names
  const birth = str(r.birthDate)
  if (birth && /^\d{4}-\d{2}-\d{2}$/.test(birth) && toDate(birth) === birth) out.dateOfBirth = birth
  const g = r.gender
  if (g === 'female' || g === 'male' || g === 'other' || g === 'unknown') out.sex = g
  return out
}

/**
 * SNOMED CT "no known …" situations and the IPS absent-unknown code system: statements that
 * something is absent, which must not become an allergy, problem or medication.
 */
const NEGATION_SNOMED = new Set([
  '716186003', // No known allergy
  '409137002', // No known drug allergy
  '429625007', // No known food allergy
  '428607008', // No known environmental allergy
  '428197003', // No known insect allergy
  '160245001', // No current problems or disability
  '787481004', // No known medication
])
const ABSENT_UNKNOWN_SYSTEM = 'http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips'

function isNegation(concept: unknown): boolean {
  return codings(concept).some(
    (c) => c.system === ABSENT_UNKNOWN_SYSTEM || (c.system === SNOMED && NEGATION_SNOMED.has(str(c.code) ?? '')),
  )
}

const SEVERITY_RANK: Record<AllergySeverity, number> = { mild: 1, moderate: 2, severe: 3 }

function mapAllergy(r: Json, fhirId: string): ImportedAllergy | string {
  if (isNegation(r.code)) return SKIP_REASON.negation
  const reactions = objs(r.reaction)
  const substance = conceptText(r.code) ?? reactions.map((x) => conceptText(x.substance)).find(Boolean)
  if (!substance) return SKIP_REASON.noName
  const out: ImportedAllergy = {
    fhirId,
    recordedAt: toInstant(r.recordedDate) ?? toInstant(r.onsetDateTime) ?? null,
    substance,
  }
  const manifestations = [
    ...new Set(reactions.flatMap((x) => arr(x.manifestation).flatMap((m) => conceptText(m) ?? []))),
  ]
  if (manifestations.length > 0) out.reaction = manifestations.join(', ')
  // The worst reaction recorded; a high criticality without one counts as severe.
  let severity: AllergySeverity | undefined
  for (const x of reactions) {
    const s = x.severity
    if ((s === 'mild' || s === 'moderate' || s === 'severe') && (!severity || SEVERITY_RANK[s] > SEVERITY_RANK[severity])) severity = s
  }
  if (!severity && r.criticality === 'high') severity = 'severe'
  if (severity) out.severity = severity
  const code = pickCoding(r.code, [SNOMED, RXNORM])
  if (code) out.code = code
  return out
}

function mapCondition(r: Json, fhirId: string): ImportedCondition | string {
  if (isNegation(r.code)) return SKIP_REASON.negation
  const name = conceptText(r.code)
  if (!name) return SKIP_REASON.noName
  // condition-clinical: active | recurrence | relapse vs inactive | remission | resolved.
  const clinical = statusCode(r.clinicalStatus)
  const resolved =
    clinical === 'inactive' || clinical === 'remission' || clinical === 'resolved' ||
    (clinical === undefined && (r.abatementDateTime !== undefined || r.abatementPeriod !== undefined || r.abatementString !== undefined))
  const out: ImportedCondition = {
    fhirId,
    recordedAt: toInstant(r.recordedDate) ?? toInstant(r.onsetDateTime) ?? null,
    name,
    status: resolved ? 'resolved' : 'active',
  }
  const since = toDate(r.onsetDateTime) ?? toDate(obj(r.onsetPeriod)?.start)
  if (since) out.since = since
  const code = pickCoding(r.code, [SNOMED])
  if (code) out.code = code
  return out
}

function mapMedication(r: Json, fhirId: string, refs: ReferenceIndex): ImportedMedication | string {
  // medication[x]: a concept, or a reference to a contained or bundled Medication.
  let concept: unknown = r.medicationCodeableConcept
  if (!concept && r.medicationReference) {
    const ref = obj(r.medicationReference)
    const local = str(ref?.reference)
    const target = local?.startsWith('#')
      ? objs(r.contained).find((c) => c.resourceType === 'Medication' && `#${str(c.id)}` === local)
      : refs.resolve(ref)
    concept = target?.code ?? (str(ref?.display) ? { text: str(ref?.display) } : undefined)
  }
  if (isNegation(concept)) return SKIP_REASON.negation
  const name = conceptText(concept)
  if (!name) return SKIP_REASON.noName

  const isRequest = r.resourceType === 'MedicationRequest'
  const out: ImportedMedication = {
    fhirId,
    recordedAt: (isRequest ? toInstant(r.authoredOn) : (toInstant(r.dateAsserted) ?? toInstant(r.effectiveDateTime) ?? toInstant(obj(r.effectivePeriod)?.start))) ?? null,
    name,
    active: r.status === 'active',
  }
  const dosage = objs(isRequest ? r.dosageInstruction : r.dosage)[0]
  if (dosage) {
    const amount = doseText(dosage)
    if (amount) out.dosage = amount
    const frequency = frequencyText(dosage)
    if (frequency) out.frequency = frequency
  }
  const since = isRequest ? toDate(r.authoredOn) : (toDate(r.effectiveDateTime) ?? toDate(obj(r.effectivePeriod)?.start))
  if (since) out.since = since
  const code = pickCoding(concept, [RXNORM, SNOMED])
  if (code) out.code = code
  return out
}

function quantityText(q: unknown): string | undefined {
  const v = num(obj(q)?.value)
  if (v === undefined) return undefined
  const unit = str(obj(q)?.unit) ?? (obj(q)?.code !== '1' ? str(obj(q)?.code) : undefined)
  return unit ? `${v} ${unit}` : String(v)
}

/** `doseAndRate[0].doseQuantity` ("1 tablet"), a dose range, else the free text. */
function doseText(d: Json): string | undefined {
  const rate = objs(d.doseAndRate)[0]
  const quantity = quantityText(rate?.doseQuantity)
  if (quantity) return quantity
  const range = obj(rate?.doseRange)
  const low = quantityText(range?.low)
  const high = quantityText(range?.high)
  if (low && high) return `${low} – ${high}`
  return str(d.text)
}

const PERIOD_UNITS: Record<string, [string, string]> = {
  s: ['second', 'seconds'],
  min: ['minute', 'minutes'],
  h: ['hour', 'hours'],
  d: ['day', 'days'],
  wk: ['week', 'weeks'],
  mo: ['month', 'months'],
  a: ['year', 'years'],
}

/** Timing code text (e.g. "BID"), else `repeat` in words ("2 times per day", "every 6 hours"); "as needed" added. */
function frequencyText(d: Json): string | undefined {
  const timing = obj(d.timing)
  let text = conceptText(timing?.code)
  const repeat = obj(timing?.repeat)
  const unit = PERIOD_UNITS[str(repeat?.periodUnit) ?? '']
  if (!text && repeat && unit) {
    const times = num(repeat.frequency) ?? 1
    const period = num(repeat.period) ?? 1
    if (times === 1) text = period === 1 ? `once per ${unit[0]}` : `every ${period} ${unit[1]}`
    else text = period === 1 ? `${times} times per ${unit[0]}` : `${times} times every ${period} ${unit[1]}`
  }
  const asNeeded = d.asNeededBoolean === true || d.asNeededCodeableConcept !== undefined
  if (asNeeded) return text ? `${text}, as needed` : 'as needed'
  return text
}

// ---------------------------------------------------------------------------------------------
// Vitals

/** The catalogue type of an Observation, from its LOINC codings (a coding without system counts). */
function observationVitalType(r: Json): VitalType | undefined {
  for (const c of codings(r.code)) {
    const system = str(c.system)
    const code = str(c.code)
    if (code && (system === undefined || system === LOINC)) {
      const t = vitalTypeForLoinc(code)
      if (t) return t
    }
  }
  return undefined
}

function quantityOf(x: unknown): { value: number; unit?: string } | undefined {
  const q = obj(x)
  const value = num(q?.value)
  if (value === undefined) return undefined
  // UCUM `code` is the machine unit; `unit` is display text (often the same).
  const unit = str(q?.code) ?? str(q?.unit)
  return unit ? { value, unit } : { value }
}

function componentQuantity(r: Json, loinc: string): { value: number; unit?: string } | undefined {
  const component = objs(r.component).find((c) => codings(c.code).some((x) => x.code === loinc))
  return component ? quantityOf(component.valueQuantity) : undefined
}

function mapVital(r: Json, fhirId: string): ImportedVital | string {
  const type = observationVitalType(r)
  if (!type) return SKIP_REASON.otherObservation
  const measuredAt =
    toInstant(r.effectiveDateTime) ?? toInstant(r.effectiveInstant) ?? toInstant(obj(r.effectivePeriod)?.start) ?? toInstant(r.issued)
  if (!measuredAt) return SKIP_REASON.noTime

  const input: VitalInput = { type }
  if (type === 'blood_pressure') {
    const systolic = componentQuantity(r, SYSTOLIC_LOINC)
    const diastolic = componentQuantity(r, DIASTOLIC_LOINC)
    if (!systolic || !diastolic) return SKIP_REASON.noValue
    if (diastolic.unit && !unitConverter('blood_pressure', diastolic.unit)) return SKIP_REASON.badUnit
    input.systolic = systolic.value
    input.diastolic = diastolic.value
    if (systolic.unit) input.unit = systolic.unit
  } else {
    const q = quantityOf(r.valueQuantity)
    if (!q) return SKIP_REASON.noValue
    input.value = q.value
    if (q.unit) input.unit = q.unit
  }

  try {
    const v = normalizeVital(input)
    return { fhirId, ...v, measuredAt }
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    return err.errors?.some((e) => e.path === '/unit') ? SKIP_REASON.badUnit : SKIP_REASON.implausible
  }
}

// ---------------------------------------------------------------------------------------------
// Attachments

/** LOINC document types → record category (SPEC §4.3); anything else keeps the default. */
const CATEGORY_BY_LOINC: Readonly<Record<string, RecordCategory>> = {
  '18842-5': 'discharge_summary', // Discharge summary
  '11502-2': 'lab_report', // Laboratory report
  '26436-6': 'lab_report', // Laboratory studies
  '18748-4': 'imaging', // Diagnostic imaging study
  'LP29684-5': 'imaging', // Radiology
  '11369-6': 'vaccination', // History of immunization
  '82593-5': 'vaccination', // Immunization summary report
  '57833-6': 'prescription', // Prescription for medication
  '34117-2': 'clinical_note', // History and physical note
  '11506-3': 'clinical_note', // Progress note
  '11488-4': 'clinical_note', // Consult note
  '28570-0': 'clinical_note', // Procedure note
  '51847-2': 'clinical_note', // Evaluation + Plan note
}

/** v2-0074 diagnostic service sections that mean imaging. */
const IMAGING_SECTIONS = new Set(['RAD', 'CT', 'MR', 'NMR', 'US', 'RX', 'VUS', 'XRC'])

function categoryFrom(concepts: unknown[], fallback: RecordCategory): RecordCategory {
  for (const concept of concepts) {
    for (const c of codings(concept)) {
      const code = str(c.code) ?? ''
      const hit = CATEGORY_BY_LOINC[code]
      if (hit) return hit
      if (IMAGING_SECTIONS.has(code)) return 'imaging'
    }
  }
  return fallback
}

function firstInline(attachments: unknown): { contentType: string; data: Buffer; title?: string } | undefined {
  for (const a of objs(attachments)) {
    const b64 = str(a.data)
    if (!b64) continue
    const data = Buffer.from(b64, 'base64')
    if (data.length === 0) continue
    const contentType = (str(a.contentType)?.split(';')[0]?.trim().toLowerCase() || 'application/octet-stream')
    const title = str(a.title)
    return title ? { contentType, data, title } : { contentType, data }
  }
  return undefined
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s)

function mapAttachment(r: Json, fhirId: string, refs: ReferenceIndex, fallbackDate: string): ImportedAttachment | string {
  const isDoc = r.resourceType === 'DocumentReference'
  const inline = firstInline(
    isDoc ? objs(r.content).map((c) => c.attachment) : r.presentedForm,
  )
  if (!inline) return SKIP_REASON.noAttachment

  let title: string | undefined
  let description: string | undefined
  let doctorName: string | undefined
  let recordDate: string | undefined
  let category: RecordCategory
  if (isDoc) {
    title = str(r.description) ?? inline.title ?? conceptText(r.type) ?? objs(r.category).map(conceptText).find(Boolean)
    recordDate = toDate(r.date) ?? toDate(obj(obj(r.context)?.period)?.start) ?? toDate(obj(r.meta)?.lastUpdated)
    doctorName = arr(r.author).map((a) => personName(a, refs)).find(Boolean)
    category = categoryFrom([r.type, ...arr(r.category)], 'clinical_note')
  } else {
    title = conceptText(r.code) ?? inline.title
    description = str(r.conclusion)
    recordDate = toDate(r.effectiveDateTime) ?? toDate(obj(r.effectivePeriod)?.start) ?? toDate(r.issued)
    doctorName = [...arr(r.resultsInterpreter), ...arr(r.performer)].map((a) => personName(a, refs)).find(Boolean)
    category = categoryFrom([...arr(r.category), r.code], 'lab_report')
  }

  const out: ImportedAttachment = {
    fhirId,
    resourceType: isDoc ? 'DocumentReference' : 'DiagnosticReport',
    contentType: inline.contentType,
    data: inline.data,
    title: clip(title ?? (isDoc ? 'Document' : 'Report'), 200),
    recordDate: recordDate ?? fallbackDate,
    category,
  }
  if (doctorName) out.doctorName = clip(doctorName, 200)
  if (description) out.description = clip(description, 2000)
  return out
}
