/**
 * The two whole-patient Bundles of SPEC §9, shared by the FHIR API, SMART Health Links and
 * the export: `$everything` (a searchset of every resource) and `$summary` (an International
 * Patient Summary document, HL7 IPS IG: Composition LOINC 60591-5 first, then the Patient and
 * every resource its sections reference).
 *
 * Neither authorizes: the caller has (through `withPatientData` or its own policy check) and
 * passes the database handle to read with. Both throw NotFoundError when no patient has `patientId`.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type * as fhir4 from 'fhir/r4.js'
import type { DB } from '../../db/schema.js'
import { LOINC, instant, narrative, patientRef } from './fhir-codes.js'
import { loadPatientResources, type FhirContext } from './patient-resources.js'

export type { FhirContext } from './patient-resources.js'

type Db = Kysely<DB> | Transaction<DB>

/** A resource's absolute URL on this server: `{baseUrl}/{type}/{id}`. */
export const fullUrlOf = (baseUrl: string, r: fhir4.FhirResource): string => `${baseUrl}/${r.resourceType}/${r.id ?? ''}`

/**
 * `GET /fhir/R4/Patient/{id}/$everything`: a `searchset` Bundle of all of the patient's
 * resources — Patient first, then AllergyIntolerance, Condition, MedicationStatement,
 * Observation (vital signs, then laboratory), DocumentReference (attachments as `Binary/{id}`
 * links, no bytes), MedicationRequest, MedicationDispense, Consent (these three only as far
 * as `ctx.readable` allows: a doctor's own) — every entry with its absolute `fullUrl` and
 * `search.mode` `match`, `total` their count. Not paged.
 */
export async function everythingBundle(db: Db, patientId: string, ctx: FhirContext): Promise<fhir4.Bundle> {
  const r = await loadPatientResources(db, patientId, ctx)
  const resources: fhir4.FhirResource[] = [
    r.patient, ...r.allergies, ...r.conditions, ...r.medications, ...r.vitals, ...r.labs,
    ...r.documents, ...r.requests, ...r.dispenses, ...r.consents, ...r.encounters,
  ]
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { lastUpdated: instant(ctx.now) },
    type: 'searchset',
    timestamp: instant(ctx.now),
    total: resources.length,
    link: [{ relation: 'self', url: `${ctx.baseUrl}/Patient/${patientId}/$everything` }],
    entry: resources.map((resource) => ({ fullUrl: fullUrlOf(ctx.baseUrl, resource), resource, search: { mode: 'match' } })),
  }
}

const EMPTY_REASON: fhir4.CodeableConcept = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'unavailable', display: 'Unavailable' }],
  text: 'Nothing recorded in this locker',
}

/** One IPS section: its narrative lists the entries; an empty one says so in the text and with `emptyReason`. */
function section(title: string, loinc: string, display: string, resources: readonly fhir4.FhirResource[], lines: readonly string[], baseUrl: string): fhir4.CompositionSection {
  const out: fhir4.CompositionSection = { title, code: { coding: [{ system: LOINC, code: loinc, display }] } }
  if (resources.length === 0) {
    out.text = narrative(`No ${title.toLowerCase()} recorded in this locker.`)
    out.emptyReason = EMPTY_REASON
  } else {
    out.text = narrative(title, lines)
    out.entry = resources.map((r) => ({ reference: fullUrlOf(baseUrl, r) }))
  }
  return out
}

const conceptText = (c: fhir4.CodeableConcept | undefined): string => c?.text ?? c?.coding?.[0]?.display ?? c?.coding?.[0]?.code ?? 'Unnamed'

/** "Blood pressure 120/80 mm[Hg] (2026-11-20T08:15:00.000Z)" — one Observation as a narrative line. */
function observationLine(o: fhir4.Observation): string {
  const q = (x: fhir4.Quantity | undefined) => (x ? `${x.value ?? ''} ${x.unit ?? ''}`.trim() : '')
  const value = o.component
    ? `${o.component[0]?.valueQuantity?.value ?? ''}/${q(o.component[1]?.valueQuantity)}`
    : o.valueQuantity ? q(o.valueQuantity) : (o.valueString ?? '')
  return `${conceptText(o.code)} ${value} (${o.effectiveDateTime ?? ''})`.replace(/\s+/g, ' ')
}

/**
 * `GET /fhir/R4/Patient/{id}/$summary`: an IPS `document` Bundle (identifier, timestamp
 * `ctx.now`): the Composition first (LOINC 60591-5, status final, date now), then the
 * Patient, then the sections' resources. Sections: problems 11450-4 (Conditions), allergies
 * 48765-2, medications 10160-0 (MedicationStatements) — always present, an empty one with
 * `emptyReason` and a narrative saying so — plus vital signs 8716-3 when there are vitals and
 * results 30954-2 when there are lab results. Every section has a generated narrative.
 */
export async function ipsSummaryBundle(db: Db, patientId: string, ctx: FhirContext): Promise<fhir4.Bundle> {
  const r = await loadPatientResources(db, patientId, ctx)
  const base = ctx.baseUrl
  const sections: fhir4.CompositionSection[] = [
    section('Problems', '11450-4', 'Problem list - Reported', r.conditions, r.conditions.map((c) => `${conceptText(c.code)} (${c.clinicalStatus?.coding?.[0]?.code ?? 'active'})`), base),
    section('Allergies and intolerances', '48765-2', 'Allergies and adverse reactions Document', r.allergies, r.allergies.map((a) => conceptText(a.code)), base),
    section('Medications', '10160-0', 'History of Medication use Narrative', r.medications, r.medications.map((m) => conceptText(m.medicationCodeableConcept)), base),
  ]
  if (r.vitals.length > 0) sections.push(section('Vital signs', '8716-3', 'Vital signs', r.vitals, r.vitals.map(observationLine), base))
  if (r.labs.length > 0) sections.push(section('Results', '30954-2', 'Relevant diagnostic tests/laboratory data Narrative', r.labs, r.labs.map(observationLine), base))

  const name = r.patient.name?.[0]?.text ?? 'the patient'
  const composition: fhir4.Composition = {
    resourceType: 'Composition',
    id: randomUUID(),
    status: 'final',
    type: { coding: [{ system: LOINC, code: '60591-5', display: 'Patient summary Document' }] },
    subject: patientRef(patientId),
    date: instant(ctx.now),
    author: [{ display: 'CareLocker' }],
    title: `International Patient Summary of ${name}`,
    confidentiality: 'N',
    text: narrative(`International Patient Summary of ${name}, generated by CareLocker on ${instant(ctx.now)}.`),
    section: sections,
  }
  const resources: fhir4.FhirResource[] = [r.patient, ...r.conditions, ...r.allergies, ...r.medications, ...r.vitals, ...r.labs]
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${randomUUID()}` },
    type: 'document',
    timestamp: instant(ctx.now),
    entry: [
      { fullUrl: `urn:uuid:${composition.id as string}`, resource: composition },
      ...resources.map((resource) => ({ fullUrl: fullUrlOf(base, resource), resource })),
    ],
  }
}
