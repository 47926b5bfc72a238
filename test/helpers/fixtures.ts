import { fileURLToPath } from 'node:url'

/**
 * The repository's own test fixtures: real Synthea and IPS bundles and sample documents,
 * each with its source, license and sha256 in `test/fixtures/MANIFEST.json`. Resolved from
 * this file, so tests, the demo, bench and e2e read them whatever the working directory.
 */
export const FIXTURES_URL = new URL('../fixtures/', import.meta.url)
export const FIXTURES_DIR = fileURLToPath(FIXTURES_URL)

/** The absolute path of a fixture given relative to test/fixtures, e.g. `fixturePath('docs/x.pdf')`. */
export const fixturePath = (relative: string): string => fileURLToPath(new URL(relative, FIXTURES_URL))

/**
 * Domenica436 Brown30 (Synthea): active disorders next to active findings and situations
 * (employment, education, a criminal record, "Medication review due"), and 12 current medications.
 */
export const DOMENICA_FILE = 'Domenica436_Brown30_ec8a12cb-be19-e117-d5fc-6fa3743ab6f4.json'
/** The conditions Domenica436's emergency card shows by default (SPEC §4.6): active disorders and personal history, sorted. */
export const DOMENICA_CARD_CONDITIONS = [
  'Anemia (disorder)',
  'Diabetes mellitus type 2 (disorder)',
  'History of amputation of foot (situation)',
  'History of coronary artery bypass grafting (situation)',
  'Hypertriglyceridemia (disorder)',
  'Ischemic heart disease (disorder)',
  'Metabolic syndrome X (disorder)',
  'Neuropathy due to type 2 diabetes mellitus (disorder)',
  'Osteoarthritis of knee (disorder)',
]
