/**
 * Records as FHIR R4 DocumentReferences (SPEC §9, §4.3): metadata only; the attachment's
 * `url` points to `Binary/{id}`, which serves the bytes. Pure mapper.
 */
import type * as fhir4 from 'fhir/r4.js'
import type { RecordCategory } from '../records/record-category.js'
import type { RecordRowOut } from './fhir-api.queries.js'
import { LOINC, instant, patientRef } from './fhir-codes.js'

/** The LOINC document type of each record category (the ones the FHIR import reads back). */
const TYPE_BY_CATEGORY: Readonly<Record<RecordCategory, { code: string; display: string } | undefined>> = {
  lab_report: { code: '11502-2', display: 'Laboratory report' },
  prescription: { code: '57833-6', display: 'Prescription for medication' },
  imaging: { code: '18748-4', display: 'Diagnostic imaging study' },
  discharge_summary: { code: '18842-5', display: 'Discharge summary' },
  vaccination: { code: '11369-6', display: 'History of immunization' },
  insurance: undefined,
  clinical_note: { code: '11506-3', display: 'Progress note' },
  other: undefined,
}

const CATEGORY_WORDS: Readonly<Record<RecordCategory, string>> = {
  lab_report: 'Lab report',
  prescription: 'Prescription',
  imaging: 'Imaging',
  discharge_summary: 'Discharge summary',
  vaccination: 'Vaccination',
  insurance: 'Insurance',
  clinical_note: 'Clinical note',
  other: 'Other',
}

/**
 * One live record → a current DocumentReference: type (LOINC where the category has one),
 * `date` = upload instant, `description` = title, one attachment with `url`
 * `{baseUrl}/Binary/{id}`, content type, size in bytes, title, `creation` = the record's date,
 * and `hash` = base64 of the stored SHA-256 (FHIR R4 documents `hash` as SHA-1; the locker
 * keeps SHA-256 only, see docs/fhir-api.md).
 */
export function recordDocumentReference(patientId: string, r: RecordRowOut, baseUrl: string): fhir4.DocumentReference {
  const category = r.category as RecordCategory
  const words = CATEGORY_WORDS[category] ?? r.category
  const loinc = TYPE_BY_CATEGORY[category]
  const title = r.title ?? r.originalFileName
  const out: fhir4.DocumentReference = {
    resourceType: 'DocumentReference',
    id: r.id,
    status: 'current',
    type: loinc ? { coding: [{ system: LOINC, code: loinc.code, display: loinc.display }], text: words } : { text: words },
    subject: patientRef(patientId),
    date: instant(r.uploadedAt),
    description: title,
    content: [
      {
        attachment: {
          contentType: r.contentType,
          url: `${baseUrl}/Binary/${r.id}`,
          size: r.sizeBytes,
          hash: Buffer.from(r.sha256, 'hex').toString('base64'),
          title,
          creation: r.recordDate,
        },
      },
    ],
  }
  if (r.doctorName) out.author = [{ display: r.doctorName }]
  return out
}
