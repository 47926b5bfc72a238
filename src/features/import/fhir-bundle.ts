/**
 * Maps a FHIR R4 Bundle (Synthea 3.x, 2019 Synthea, IPS documents) to an import plan
 * (SPEC §4.4). Pure: no database, no HTTP; the import service writes the plan in one
 * transaction and uses `fhirId` to make a second import of the same bundle add nothing
 * (`fhirId` is the resource `id`, else the entry's `fullUrl`, else `sha256:` of the resource JSON).
 *
 * The input is untrusted JSON: every field is read defensively and a resource that cannot be
 * used is counted in `skipped` with a reason, never thrown on. Only a non-Bundle is an error.
 *
 * The mappers live by resource kind: `fhir-clinical.ts` (patient, allergies, conditions,
 * medications), `fhir-vitals.ts` and `fhir-labs.ts` (observations), `fhir-documents.ts` (attachments).
 */
import { createHash } from 'node:crypto'
import { ValidationError } from '../../app/errors.js'
import { utcDate } from '../../app/dates.js'
import { mapAllergy, mapCondition, mapMedication, mapPatient, type ImportedAllergy, type ImportedCondition, type ImportedDemographics, type ImportedMedication } from './fhir-clinical.js'
import { mapAttachment, type ImportedAttachment } from './fhir-documents.js'
import { obj, statusCode, str, toDate, type Json } from './fhir-json.js'
import { ReferenceIndex } from './fhir-references.js'
import { mapVital, type ImportedVital } from './fhir-vitals.js'
import { isLaboratory, mapLab } from './fhir-labs.js'
import type { ImportedLab } from '../labs/lab-results.js'
import { SKIP_REASON } from './skip-reasons.js'

export interface SkippedResources {
  resourceType: string
  count: number
  reason: string
}

export interface ImportPlan {
  demographics: ImportedDemographics
  allergies: ImportedAllergy[]
  conditions: ImportedCondition[]
  medications: ImportedMedication[]
  vitals: ImportedVital[]
  /** Laboratory results (SPEC §4.8b): Observations of category laboratory not in the vitals catalogue. */
  labs: ImportedLab[]
  attachments: ImportedAttachment[]
  /** Grouped by resource type and reason, in order of first appearance. */
  skipped: SkippedResources[]
}

export interface ParseOptions {
  /** Fallback `recordDate` for an attachment without any date (default: now). */
  now?: Date
}

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
 * - Other Observations of category laboratory → lab results (SPEC §4.8b, `fhir-labs.ts`): value
 *   or text, UCUM unit, reference range, interpretation; panels without a value are skipped.
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
    labs: [],
    attachments: [],
    skipped: [],
  }
  const fallbackDate = toDate(bundle.timestamp) ?? utcDate(options.now ?? new Date())
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
      case 'Observation': {
        // A catalogue LOINC is a vital whatever its category; another laboratory one is a lab result.
        const vital = mapVital(r, fhirId)
        if (vital === SKIP_REASON.otherObservation && isLaboratory(r)) take(plan.labs, mapLab(r, fhirId), type, skipped)
        else take(plan.vitals, vital, type, skipped)
        break
      }
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

/** Counts skipped resources by type and reason, in order of first appearance. */
/** Adds `s` to a skipped summary, merged with the entry of the same type and reason (SPEC §4.4: grouped by type and reason). */
export function addSkipped(list: SkippedResources[], s: SkippedResources): void {
  const same = list.find((x) => x.resourceType === s.resourceType && x.reason === s.reason)
  if (same) same.count += s.count
  else list.push({ ...s })
}

export class SkipCounter {
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
