/**
 * Lab results (SPEC §4.8b): the shape every importer (FHIR, C-CDA) hands to the import
 * writer, and the writer itself. Listing, trends and the summary's lab rules live beside
 * this file in the labs feature.
 */
import type { Transaction } from 'kysely'
import type { DB, LabInterpretation } from '../../db/schema.js'
import { insertLabResults } from './labs.queries.js'

/** A laboratory result from an outside source, before it is stored. */
export interface ImportedLab {
  /** The source's own id of the result (FHIR Observation id, C-CDA observation id), unique per source document. */
  fhirId: string
  /** LOINC code. */
  loinc: string
  /** Human name of the test, as the source wrote it (else the LOINC display). */
  display: string
  /** Numeric value, or null with `valueText` for a coded or textual result. */
  value: number | null
  valueText: string | null
  /** UCUM unit of `value` and the reference range; null when unitless. */
  unit: string | null
  referenceRange: { low?: number; high?: number; text?: string } | null
  interpretation: LabInterpretation | null
  /** ISO instant (UTC). */
  effectiveAt: string
}

/**
 * Stores imported lab results inside the caller's transaction; one already imported (same
 * patient and `sourceRef`) is left as it is. Returns how many were added.
 */
export function addImportedLabs(
  trx: Transaction<DB>,
  patientId: string,
  recordedBy: string,
  labs: Array<ImportedLab & { sourceRef: string }>,
  now: Date,
): Promise<number> {
  return insertLabResults(
    trx,
    labs.map((l) => ({
      patientId,
      loinc: l.loinc,
      display: l.display,
      value: l.value,
      valueText: l.valueText,
      unit: l.unit,
      referenceLow: l.referenceRange?.low ?? null,
      referenceHigh: l.referenceRange?.high ?? null,
      referenceText: l.referenceRange?.text ?? null,
      interpretation: l.interpretation,
      effectiveAt: l.effectiveAt,
      source: 'import' as const,
      sourceRef: l.sourceRef,
      recordedBy,
      createdAt: now,
    })),
  )
}
