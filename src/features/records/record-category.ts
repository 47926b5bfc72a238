/** Record categories (SPEC §4.3) and the file-name prefix each one gets. */
export const RECORD_CATEGORIES = [
  'lab_report',
  'prescription',
  'imaging',
  'discharge_summary',
  'vaccination',
  'insurance',
  'clinical_note',
  'other',
] as const

export type RecordCategory = (typeof RECORD_CATEGORIES)[number]

/** `lab_report` → `LabReport`, as used in `fileName` (`LabReport_2026-11-20.pdf`, SPEC §4.3). */
export function categoryFileStem(category: RecordCategory): string {
  return category
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')
}
