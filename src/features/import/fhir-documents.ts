/**
 * Documents of a FHIR bundle → record attachments (SPEC §4.3, §4.4): DocumentReference
 * `content[].attachment` and DiagnosticReport `presentedForm[]` with inline base64 `data`
 * (the first inline one per resource), with title, date, author and a record category from
 * their LOINC document type. The bytes still decide the stored type when the record is added.
 *
 * An attachment given by `url` instead of `data` (a FHIR server's `$everything`, ours
 * included: SPEC §9) is taken from the `Binary` the url names when that Binary is inside the
 * same bundle (other servers inline them); otherwise the resource is skipped with
 * {@link URL_ONLY_ATTACHMENT}, since the importer fetches nothing.
 */
import type { RecordCategory } from '../records/record-category.js'
import { arr, codings, conceptText, obj, objs, str, toDate, type Json } from './fhir-json.js'
import { personName, type ReferenceIndex } from './fhir-references.js'
import { SKIP_REASON } from './skip-reasons.js'

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

/** Why a document whose attachments are only links was skipped (the importer fetches nothing). */
export const URL_ONLY_ATTACHMENT = 'attachment only by URL, and its Binary is not in the bundle'

interface Inline {
  contentType: string
  data: Buffer
  title?: string
  /** `attachment.creation` as a date, when given. */
  creation?: string
}

/**
 * The first attachment with bytes: inline `data`, else the `Binary` its `url` names inside
 * the bundle. `URL_ONLY_ATTACHMENT` when there were only links to elsewhere; undefined when none at all.
 */
function firstInline(attachments: unknown, refs: ReferenceIndex): Inline | typeof URL_ONLY_ATTACHMENT | undefined {
  let linked = false
  for (const a of objs(attachments)) {
    let b64 = str(a.data)
    let declared = str(a.contentType)
    const url = str(a.url)
    if (!b64 && url) {
      const binary = refs.resolve({ reference: url })
      if (binary?.resourceType === 'Binary') {
        b64 = str(binary.data)
        declared = declared ?? str(binary.contentType)
      }
      if (!b64) linked = true
    }
    if (!b64) continue
    const data = Buffer.from(b64, 'base64')
    if (data.length === 0) continue
    const out: Inline = { contentType: declared?.split(';')[0]?.trim().toLowerCase() || 'application/octet-stream', data }
    const title = str(a.title)
    if (title) out.title = title
    const creation = toDate(a.creation)
    if (creation) out.creation = creation
    return out
  }
  return linked ? URL_ONLY_ATTACHMENT : undefined
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s)

/** One DocumentReference or DiagnosticReport → an attachment (undated: `fallbackDate`), or why it was skipped. */
export function mapAttachment(r: Json, fhirId: string, refs: ReferenceIndex, fallbackDate: string): ImportedAttachment | string {
  const isDoc = r.resourceType === 'DocumentReference'
  const inline = firstInline(
    isDoc ? objs(r.content).map((c) => c.attachment) : r.presentedForm,
    refs,
  )
  if (inline === URL_ONLY_ATTACHMENT) return URL_ONLY_ATTACHMENT
  if (!inline) return SKIP_REASON.noAttachment

  let title: string | undefined
  let description: string | undefined
  let doctorName: string | undefined
  let recordDate: string | undefined
  let category: RecordCategory
  if (isDoc) {
    title = str(r.description) ?? inline.title ?? conceptText(r.type) ?? objs(r.category).map(conceptText).find(Boolean)
    // The attachment's own creation date first: a DocumentReference's `date` is when the reference was made.
    recordDate = inline.creation ?? toDate(r.date) ?? toDate(obj(obj(r.context)?.period)?.start) ?? toDate(obj(r.meta)?.lastUpdated)
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
