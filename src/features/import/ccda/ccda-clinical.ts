/**
 * The profile lists of a C-CDA R2.1 document (SPEC §4.2, §9), by entry template (HL7 C-CDA
 * R2.1 IG, templates 2.16.840.1.113883.10.20.22.4.*):
 * - Allergy – Intolerance Observation (22.4.7, inside an Allergy Concern Act 22.4.30):
 *   substance from `participant[@typeCode=CSM]/participantRole/playingEntity` (code, else name),
 *   reactions (Reaction Observation 22.4.9), the worst severity (Severity Observation 22.4.8).
 * - Problem Observation (22.4.4, inside a Problem Concern Act 22.4.3 or a diagnosis act): the
 *   value's code (SNOMED CT); resolved when the observation has an end (`effectiveTime/high`),
 *   its Problem Status (22.4.6) says resolved or inactive, or its concern act is completed.
 * - Medication Activity (22.4.16): `consumable/manufacturedProduct/manufacturedMaterial/code`
 *   (RxNorm); dose and frequency when simple (one `doseQuantity`, one PIVL_TS period);
 *   active = `statusCode` active.
 * Each mapper returns the item or the reason it was skipped (`SKIP_REASON`): a negated entry
 * (`negationInd`) or a "no known …" code states an absence and is never imported.
 */
import type { AllergySeverity, ImportedAllergy, ImportedCondition, ImportedMedication } from '../fhir-clinical.js'
import { NEGATION_SNOMED, PERIOD_UNITS } from '../fhir-clinical.js'
import { RXNORM, SNOMED, type Coding } from '../fhir-json.js'
import { SKIP_REASON } from '../skip-reasons.js'
import { authorOf, codeText, dateOf, highDateOf, instantOf, isNegated, isNull, pickCode, quantityOf } from './ccda-values.js'
import { attr, hasTemplate, kid, kids, path, type XNode } from './ccda-xml.js'

/** Entry templates (C-CDA R2.1). */
export const TEMPLATE = {
  allergyConcern: '2.16.840.1.113883.10.20.22.4.30',
  allergy: '2.16.840.1.113883.10.20.22.4.7',
  reaction: '2.16.840.1.113883.10.20.22.4.9',
  severity: '2.16.840.1.113883.10.20.22.4.8',
  problemConcern: '2.16.840.1.113883.10.20.22.4.3',
  problem: '2.16.840.1.113883.10.20.22.4.4',
  problemStatus: '2.16.840.1.113883.10.20.22.4.6',
  medication: '2.16.840.1.113883.10.20.22.4.16',
  vitalsOrganizer: '2.16.840.1.113883.10.20.22.4.26',
  vital: '2.16.840.1.113883.10.20.22.4.27',
  resultOrganizer: '2.16.840.1.113883.10.20.22.4.1',
  result: '2.16.840.1.113883.10.20.22.4.2',
} as const

/** Skip reasons particular to C-CDA. */
export const CCDA_SKIP = {
  noInformation: 'no information (nullFlavor)',
  sectionNotImported: 'section not imported',
  sameIdTwice: 'same entry twice in this document',
  halfBloodPressure: 'systolic or diastolic pressure without the other',
  noLoinc: 'result without a LOINC code',
  noResultValue: 'result without a value',
  noResultTime: 'result without a time',
} as const

const states = (cd: XNode | undefined) => pickCode(cd, [SNOMED])
const isNoKnown = (cd: XNode | undefined) => {
  const c = states(cd)
  return c !== undefined && c.system === SNOMED && NEGATION_SNOMED.has(c.code)
}

/** The observations of `entryRelationship`s of `n` carrying template `oid`. */
const related = (n: XNode, oid: string): XNode[] =>
  kids(n, 'entryRelationship').flatMap((r) => kids(r, 'observation')).filter((o) => hasTemplate(o, oid))

// SNOMED CT severity codes of the C-CDA Problem Severity value set.
const SEVERITY_BY_SNOMED: Readonly<Record<string, AllergySeverity>> = {
  '255604002': 'mild',
  '371923003': 'moderate', // mild to moderate
  '6736007': 'moderate',
  '371924009': 'severe', // moderate to severe
  '24484000': 'severe',
  '399166001': 'severe', // fatal
}
const SEVERITY_RANK: Record<AllergySeverity, number> = { mild: 1, moderate: 2, severe: 3 }

function severityOf(obs: XNode): AllergySeverity | undefined {
  const code = attr(kid(obs, 'value'), 'code')
  return code ? SEVERITY_BY_SNOMED[code] : undefined
}

/** Allergy – Intolerance Observation (22.4.7) → an allergy, or why it was skipped. */
export function mapCcdaAllergy(obs: XNode, key: string, concern: XNode | undefined): ImportedAllergy | string {
  if (isNegated(obs)) return SKIP_REASON.negation
  const entity = path(kids(obs, 'participant').find((p) => attr(p, 'typeCode') === 'CSM') ?? kid(obs, 'participant'), 'participantRole', 'playingEntity')
  const entityCode = kid(entity, 'code')
  if (isNoKnown(kid(obs, 'value')) || isNoKnown(entityCode)) return SKIP_REASON.negation
  const substance = (isNull(entityCode) ? undefined : codeText(entityCode)) ?? path(entity, 'name')?.text.trim()
  if (!substance) return isNull(entityCode) ? CCDA_SKIP.noInformation : SKIP_REASON.noName
  const out: ImportedAllergy = {
    fhirId: key,
    recordedAt: instantOf(kid(obs, 'effectiveTime')) ?? instantOf(kid(concern, 'effectiveTime')) ?? authorOf(obs).time ?? null,
    substance,
  }
  const reactions = related(obs, TEMPLATE.reaction)
  const words = [...new Set(reactions.flatMap((r) => (isNull(kid(r, 'value')) ? [] : (codeText(kid(r, 'value')) ?? []))))]
  if (words.length > 0) out.reaction = words.join(', ')
  let severity: AllergySeverity | undefined
  for (const s of [...related(obs, TEMPLATE.severity), ...reactions.flatMap((r) => related(r, TEMPLATE.severity))]) {
    const v = severityOf(s)
    if (v && (!severity || SEVERITY_RANK[v] > SEVERITY_RANK[severity])) severity = v
  }
  if (severity) out.severity = severity
  const code = isNull(entityCode) ? undefined : pickCode(entityCode, [RXNORM, SNOMED])
  if (code) out.code = code
  return out
}

const RESOLVED_STATUS = new Set(['413322009', '73425007']) // resolved, inactive (Problem Status value set)

/** Problem Observation (22.4.4) → a condition, or why it was skipped. */
export function mapCcdaProblem(obs: XNode, key: string, concern: XNode | undefined): ImportedCondition | string {
  if (isNegated(obs)) return SKIP_REASON.negation
  const value = kid(obs, 'value')
  if (isNoKnown(value)) return SKIP_REASON.negation
  if (isNull(value)) return CCDA_SKIP.noInformation
  const name = codeText(value)
  if (!name) return SKIP_REASON.noName
  const time = kid(obs, 'effectiveTime')
  const statusCodes = related(obs, TEMPLATE.problemStatus).flatMap((s) => attr(kid(s, 'value'), 'code') ?? [])
  const resolved =
    highDateOf(time) !== undefined ||
    statusCodes.some((c) => RESOLVED_STATUS.has(c)) ||
    (statusCodes.length === 0 && attr(kid(concern, 'statusCode'), 'code') === 'completed')
  const out: ImportedCondition = {
    fhirId: key,
    recordedAt: authorOf(obs).time ?? instantOf(time) ?? instantOf(kid(concern, 'effectiveTime')) ?? null,
    name,
    status: resolved ? 'resolved' : 'active',
  }
  const since = dateOf(time)
  if (since) out.since = since
  const code = pickCode(value, [SNOMED])
  if (code) out.code = code
  return out
}

/** A PIVL_TS `period` → "every 6 hours", "once per day". */
function frequencyOf(sa: XNode): string | undefined {
  const pivl = kids(sa, 'effectiveTime').find((e) => attr(e, 'xsi:type')?.endsWith('PIVL_TS'))
  const period = quantityOf(kid(pivl, 'period'))
  const words = period?.unit ? PERIOD_UNITS[period.unit] : undefined
  let text: string | undefined
  if (period && words) text = period.value === 1 ? `once per ${words[0]}` : `every ${period.value} ${words[1]}`
  // A precondition means "when the criterion holds": as needed.
  if (kid(sa, 'precondition')) return text ? `${text}, as needed` : 'as needed'
  return text
}

/** `doseQuantity` → "2 Puff", "1", "500 mg"; a range "1 – 2". */
function doseOf(sa: XNode): string | undefined {
  const dose = kid(sa, 'doseQuantity')
  const form = attr(kid(sa, 'administrationUnitCode'), 'displayName')
  const one = (pq: XNode | undefined) => {
    const q = quantityOf(pq)
    if (!q) return undefined
    const unit = q.unit ?? form
    return unit ? `${q.value} ${unit}` : String(q.value)
  }
  const single = one(dose)
  if (single) return single
  const low = one(kid(dose, 'low'))
  const high = one(kid(dose, 'high'))
  return low && high ? `${low} – ${high}` : (low ?? high)
}

/** Medication Activity (22.4.16) → a medication, or why it was skipped. */
export function mapCcdaMedication(sa: XNode, key: string): ImportedMedication | string {
  if (isNegated(sa)) return SKIP_REASON.negation
  const material = path(sa, 'consumable', 'manufacturedProduct', 'manufacturedMaterial')
  const code = kid(material, 'code')
  if (isNoKnown(code)) return SKIP_REASON.negation
  const name = (isNull(code) ? undefined : codeText(code)) ?? path(material, 'name')?.text.trim()
  if (!name) return isNull(code) ? CCDA_SKIP.noInformation : SKIP_REASON.noName
  const period = kids(sa, 'effectiveTime').find((e) => !attr(e, 'xsi:type')?.endsWith('PIVL_TS') && !attr(e, 'xsi:type')?.endsWith('EIVL_TS'))
  const out: ImportedMedication = {
    fhirId: key,
    recordedAt: authorOf(sa).time ?? instantOf(period) ?? null,
    name,
    active: attr(kid(sa, 'statusCode'), 'code') === 'active',
  }
  const dosage = doseOf(sa)
  if (dosage) out.dosage = dosage
  const frequency = frequencyOf(sa)
  if (frequency) out.frequency = frequency
  const since = dateOf(period)
  if (since) out.since = since
  const coding: Coding | undefined = isNull(code) ? undefined : pickCode(code, [RXNORM, SNOMED])
  if (coding) out.code = coding
  return out
}
