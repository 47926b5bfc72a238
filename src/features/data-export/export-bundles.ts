/**
 * PLACEHOLDER — the two FHIR Bundles of the export zip (SPEC §9): `everything.json` (the
 * `Patient/$everything` searchset Bundle) and `summary.ips.json` (the IPS `$summary` document
 * Bundle). Their real builders are `everythingBundle` and `ipsSummaryBundle` of
 * `src/features/fhir-api/patient-bundles.ts` (branch h-fhir), not merged yet: when they land,
 * this module re-exports them instead and nothing else changes.
 *
 * Until then: a searchset Bundle holding the Patient resource only, and an IPS-shaped document
 * Bundle with an empty Composition, each tagged `placeholder` so nobody mistakes them for data.
 */
import type * as fhir4 from 'fhir/r4.js'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

/** What both builders take: the FHIR base URL (`$PUBLIC_URL/fhir/R4`) and the bundles' timestamp. */
export interface BundleOptions {
  baseUrl: string
  now: Date
}

const PLACEHOLDER_TAG: fhir4.Coding = { system: 'https://carelocker.dev/fhir/CodeSystem/export', code: 'placeholder', display: 'Placeholder until the FHIR API lands' }

/** PLACEHOLDER of `everythingBundle` (h-fhir): a searchset Bundle with the patient's Patient resource. */
export async function everythingBundle(_db: Kysely<DB> | Transaction<DB>, patientId: string, opts: BundleOptions): Promise<fhir4.Bundle> {
  const patient: fhir4.Patient = { resourceType: 'Patient', id: patientId }
  return {
    resourceType: 'Bundle',
    meta: { tag: [PLACEHOLDER_TAG] },
    type: 'searchset',
    timestamp: opts.now.toISOString(),
    total: 1,
    entry: [{ fullUrl: `${opts.baseUrl}/Patient/${patientId}`, resource: patient, search: { mode: 'match' } }],
  }
}

/** PLACEHOLDER of `ipsSummaryBundle` (h-fhir): a document Bundle with a Composition (LOINC 60591-5) and the Patient. */
export async function ipsSummaryBundle(_db: Kysely<DB> | Transaction<DB>, patientId: string, opts: BundleOptions): Promise<fhir4.Bundle> {
  const composition: fhir4.Composition = {
    resourceType: 'Composition',
    id: `ips-${patientId}`,
    status: 'preliminary',
    type: { coding: [{ system: 'http://loinc.org', code: '60591-5', display: 'Patient summary Document' }] },
    subject: { reference: `Patient/${patientId}` },
    date: opts.now.toISOString(),
    author: [{ display: 'CareLocker' }],
    title: 'Patient Summary (placeholder)',
  }
  return {
    resourceType: 'Bundle',
    meta: { tag: [PLACEHOLDER_TAG] },
    type: 'document',
    timestamp: opts.now.toISOString(),
    entry: [
      { fullUrl: `${opts.baseUrl}/Composition/${composition.id}`, resource: composition },
      { fullUrl: `${opts.baseUrl}/Patient/${patientId}`, resource: { resourceType: 'Patient', id: patientId } },
    ],
  }
}
