/**
 * The CapabilityStatement of `GET /fhir/R4/metadata` (SPEC §9; FHIR R4 §3.1.0.4.12
 * capabilities): exactly what this server supports — read of Patient and Binary, the
 * searches and their parameters, `$everything` and `$summary`; Appointment (SPEC §10); Encounter
 * searchable but always empty until it exists (issue 16). Pure.
 */
import type * as fhir4 from 'fhir/r4.js'

type Param = fhir4.CapabilityStatementRestResourceSearchParam

const PATIENT: Param = { name: 'patient', type: 'reference', documentation: 'Required: Patient/{id} or {id}.' }
const COUNT: Param = { name: '_count', type: 'number', documentation: 'Page size, 1–100, default 20. Further pages through the `next` link (opaque `_cursor`).' }
const BASE = [PATIENT, COUNT]

const searchable = (type: fhir4.CapabilityStatementRestResource['type'], documentation: string, params: Param[] = BASE): fhir4.CapabilityStatementRestResource => ({
  type,
  documentation,
  interaction: [{ code: 'search-type' }],
  searchParam: params,
})

/** The statement; `baseUrl` is `$PUBLIC_URL/fhir/R4`, `date` the server's start (or now). */
export function capabilityStatement(baseUrl: string, date: Date): fhir4.CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: date.toISOString(),
    kind: 'instance',
    software: { name: 'CareLocker' },
    implementation: { description: 'CareLocker FHIR R4 API: read and search only', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Bearer tokens of /api/v1 (Authorization: Bearer). A patient reads their own data, a doctor a patient with an approved consultation; ' +
          'other roles are refused. Unknown search parameters are refused (400) unless the request sends Prefer: handling=lenient.',
        security: { service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' }] }], description: 'Bearer access tokens of the CareLocker API.' },
        resource: [
          {
            type: 'Patient',
            interaction: [{ code: 'read' }],
            operation: [
              { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything', documentation: 'A searchset of every resource of the patient (not paged).' },
              { name: 'summary', definition: 'http://hl7.org/fhir/uv/ips/OperationDefinition/summary', documentation: 'An International Patient Summary document Bundle.' },
            ],
          },
          searchable('AllergyIntolerance', 'The profile’s allergies.'),
          searchable('Condition', 'The profile’s conditions (problem list).'),
          searchable('MedicationStatement', 'The profile’s medications.'),
          searchable('MedicationRequest', 'Prescriptions, one per prescribed item.'),
          searchable('MedicationDispense', 'Items given out at the pharmacy.'),
          searchable('Observation', 'Vital signs (LOINC, UCUM) and laboratory results, newest first.', [
            ...BASE,
            { name: 'code', type: 'token', documentation: 'system|code or code (LOINC); comma = or.' },
            { name: 'date', type: 'date', documentation: 'Prefixes ge, le, gt, lt, eq; repeat for a window.' },
            { name: 'category', type: 'token', documentation: 'vital-signs or laboratory.' },
          ]),
          searchable('DocumentReference', 'Records; content.attachment.url points to Binary/{id}.'),
          searchable('Encounter', 'Not recorded yet: always an empty searchset.'),
          searchable('Appointment', 'Appointments (SPEC §10), latest start first; a doctor sees only those with themself.'),
          { type: 'Binary', interaction: [{ code: 'read' }], documentation: 'A record’s bytes, as uploaded (its own content type; Range supported).' },
        ],
      },
    ],
  }
}
