/**
 * The profile lists of a FHIR bundle (SPEC §4.2, §4.4): Patient → demographics,
 * AllergyIntolerance → allergies, Condition → conditions, MedicationRequest /
 * MedicationStatement → medications. "No known …" statements (SNOMED CT situations, the IPS
 * absent-unknown code system) are skipped, never imported as an allergy, problem or medication.
 * Each mapper returns the item or the reason it was skipped (`SKIP_REASON`).
 */
import { RXNORM, SNOMED, arr, codings, conceptText, num, obj, objs, pickCoding, statusCode, str, toDate, toInstant, type Coding, type Json } from './fhir-json.js'
import { humanName, nameText, type ReferenceIndex } from './fhir-references.js'
import { SKIP_REASON } from './skip-reasons.js'

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

/** `fullName` is the chosen display name; `names` every name of the Patient (official, usual, maiden, old…), for the identity check (SPEC §4.4). */
export interface ImportedDemographics {
  fullName?: string
  names?: string[]
  dateOfBirth?: string
  sex?: Sex
}

/** Patient → demographics: the official name as written (Synthea's digits included), every name, a full `birthDate`, `gender`. */
export function mapPatient(r: Json): ImportedDemographics {
  const out: ImportedDemographics = {}
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
export const NEGATION_SNOMED = new Set([
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

/** AllergyIntolerance → an allergy (substance, manifestations, worst severity, SNOMED CT / RxNorm code), or why it was skipped. */
export function mapAllergy(r: Json, fhirId: string): ImportedAllergy | string {
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

/** Condition → a condition (active | resolved from clinicalStatus, else abatement; onset date; SNOMED CT code), or why it was skipped. */
export function mapCondition(r: Json, fhirId: string): ImportedCondition | string {
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

/** MedicationRequest / MedicationStatement → a medication (name from the concept or the contained/referenced Medication; dose, frequency; `active` = status active), or why it was skipped. */
export function mapMedication(r: Json, fhirId: string, refs: ReferenceIndex): ImportedMedication | string {
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

/** UCUM time units of a dosage period → their words, singular and plural. */
export const PERIOD_UNITS: Readonly<Record<string, [string, string]>> = {
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
