/** The answer of every import (SPEC §4.4): counts of what was taken in, and what was skipped and why. */
import type { SkippedResources } from './fhir-bundle.js'

export interface ImportResult {
  imported: { allergies: number; conditions: number; medications: number; vitals: number; labs: number; records: number }
  skipped: SkippedResources[]
}
