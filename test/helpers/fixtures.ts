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
