/** One Synthea patient imported through `POST /patients/me/import` (SPEC §4.4; budget ≤ 3 s, SPEC §7). */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { authHeaders, type BenchPatient } from '../api-client.js'
import type { ImportResult } from '../report.js'
import type { BenchServer } from '../server-process.js'
import { withServerMemory } from './memory.js'

/** Synthea bundles of the shared fixtures: one modern, one legacy (DSTU2-era codes). */
export const IMPORT_FIXTURES = [
  { name: 'import Synthea (Domenica)', file: 'synthea/Domenica436_Brown30_ec8a12cb-be19-e117-d5fc-6fa3743ab6f4.json' },
  { name: 'import Synthea legacy (Dennis)', file: 'synthea/legacy-Dennis_Durgan_78f005f3-7b33-4a5b-84d9-28417b36dbab.json' },
] as const

/**
 * Imports `fixture` (a path under `fixturesDir`) into the patient's locker and measures the
 * wall time from the first byte sent to the last byte of the answer, in seconds. The file
 * is read before the clock starts.
 */
export async function runImport(
  server: BenchServer,
  patient: BenchPatient,
  fixturesDir: string,
  fixture: { name: string; file: string },
): Promise<ImportResult> {
  const bundle = await readFile(path.join(fixturesDir, fixture.file))
  const headers = { ...(await authHeaders(server.baseUrl, patient)), 'content-type': 'application/fhir+json' }
  const { value, memory } = await withServerMemory(server, async () => {
    const t0 = performance.now()
    // The bench patient is not the Synthea person: the identity check (SPEC §4.4) is confirmed, as a user would.
    const res = await fetch(`${server.baseUrl}/api/v1/patients/me/import?confirm=identity`, {
      method: 'POST',
      headers,
      body: bundle,
      signal: AbortSignal.timeout(120_000),
    })
    const text = await res.text()
    return { status: res.status, text, seconds: (performance.now() - t0) / 1000 }
  })
  if (value.status !== 200) console.error(`${fixture.name} → ${value.status}: ${value.text.slice(0, 300)}`)
  const imported = value.status === 200 ? (JSON.parse(value.text) as { imported: Record<string, number> }).imported : undefined
  return {
    kind: 'import',
    name: fixture.name,
    fixture: path.basename(fixture.file),
    seconds: Math.round(value.seconds * 100) / 100,
    status: value.status,
    imported,
    serverMemory: memory,
  }
}
