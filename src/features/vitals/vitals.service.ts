/**
 * Vital signs (SPEC §4.8). This slice stores vitals taken in by a FHIR import; manual
 * entry, lists and trends arrive with the care-team issue.
 */
import type { Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'
import type { NormalizedVital } from './vital-types.js'
import { insertVitals } from './vitals.queries.js'

/** A normalized vital from an outside source, identified by `sourceRef` (e.g. the FHIR Observation id). */
export type ImportedVitalInput = NormalizedVital & { sourceRef: string; measuredAt: string }

/**
 * Stores imported vitals inside the caller's transaction; one already imported (same
 * patient and `sourceRef`) is left as it is. Returns how many were added.
 */
export function addImportedVitals(trx: Transaction<DB>, patientId: string, recordedBy: string, vitals: ImportedVitalInput[], now: Date): Promise<number> {
  return insertVitals(
    trx,
    vitals.map((v) => ({
      patientId,
      type: v.type,
      loinc: v.loinc,
      value: v.value ?? null,
      systolic: v.systolic ?? null,
      diastolic: v.diastolic ?? null,
      unit: v.unit,
      context: v.context ?? null,
      measuredAt: v.measuredAt,
      recordedBy,
      source: 'import' as const,
      sourceRef: v.sourceRef,
      note: null,
      flag: v.flag,
      createdAt: now,
    })),
  )
}
