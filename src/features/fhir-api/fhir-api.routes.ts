/**
 * The FHIR R4 API plugin (SPEC §9), mounted at `/fhir/R4` beside `/api/v1`: read and search
 * only, `application/fhir+json`, `Cache-Control: no-store`, errors as OperationOutcome (a
 * handler scoped to this plugin). Same bearer tokens and policy as /api/v1: the route gate
 * admits patients and doctors; the service decides per patient. Hidden from the /api/v1
 * OpenAPI document (the CapabilityStatement describes it).
 */
import type { FastifyRequest } from 'fastify'
import type { FeatureRoutes } from '../../app/deps.js'
import { userOf } from '../../app/actor-of.js'
import { headerOf } from '../records/content-reply.js'
import { sendRecordContent } from '../records/content-reply.js'
import { capabilityStatement } from './capability.js'
import {
  everything,
  fhirBase,
  readBinary,
  readPatient,
  searchDocuments,
  searchMedicationDispenses,
  searchMedicationRequests,
  searchAppointments,
  searchNothing,
  searchObservations,
  searchProfileList,
  summary,
} from './fhir-api.service.js'
import { registerFhirErrors, sendFhir } from './operation-outcome.js'
import { BaseSearch, ObservationSearch, isLenient, parseSearch } from './search-params.js'

const patientOrDoctor = { roles: ['patient', 'doctor'] } as const
const hide = { hide: true } as const

const base = (req: FastifyRequest) => parseSearch(BaseSearch, req.query, isLenient(headerOf(req, 'prefer')))
const idOf = (req: FastifyRequest) => (req.params as { id: string }).id

/** Mounts the FHIR routes; register with `{ prefix: '/fhir/R4' }`. */
export const fhirApiRoutes: FeatureRoutes = async (app, { deps }) => {
  registerFhirErrors(app)
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('cache-control', 'no-store')
    return payload
  })
  const started = deps.now()

  app.get('/metadata', { config: { access: 'public' }, schema: hide }, async (_req, reply) => sendFhir(reply, 200, capabilityStatement(fhirBase(deps), started)))

  app.get('/Patient/:id', { config: { access: patientOrDoctor }, schema: hide }, async (req, reply) => sendFhir(reply, 200, await readPatient(deps, userOf(req), idOf(req))))
  app.get('/Patient/:id/$everything', { config: { access: patientOrDoctor }, schema: hide }, async (req, reply) => sendFhir(reply, 200, await everything(deps, userOf(req), idOf(req))))
  app.get('/Patient/:id/$summary', { config: { access: patientOrDoctor }, schema: hide }, async (req, reply) => sendFhir(reply, 200, await summary(deps, userOf(req), idOf(req))))

  for (const type of ['AllergyIntolerance', 'Condition', 'MedicationStatement'] as const) {
    app.get(`/${type}`, { config: { access: patientOrDoctor }, schema: hide }, async (req, reply) => sendFhir(reply, 200, await searchProfileList(deps, userOf(req), type, base(req))))
  }
  app.get('/Observation', { config: { access: patientOrDoctor }, schema: hide }, async (req, reply) =>
    sendFhir(reply, 200, await searchObservations(deps, userOf(req), parseSearch(ObservationSearch, req.query, isLenient(headerOf(req, 'prefer'))))),
  )
  app.get('/DocumentReference', { config: { access: patientOrDoctor }, schema: hide }, async (req, reply) => sendFhir(reply, 200, await searchDocuments(deps, userOf(req), base(req))))
  app.get('/MedicationRequest', { config: { access: patientOrDoctor }, schema: hide }, async (req, reply) => sendFhir(reply, 200, await searchMedicationRequests(deps, userOf(req), base(req))))
  app.get('/MedicationDispense', { config: { access: patientOrDoctor }, schema: hide }, async (req, reply) => sendFhir(reply, 200, await searchMedicationDispenses(deps, userOf(req), base(req))))
  app.get('/Appointment', { config: { access: patientOrDoctor }, schema: hide }, async (req, reply) => sendFhir(reply, 200, await searchAppointments(deps, userOf(req), base(req))))
  for (const type of ['Encounter'] as const) {
    app.get(`/${type}`, { config: { access: patientOrDoctor }, schema: hide }, async (req, reply) => sendFhir(reply, 200, await searchNothing(deps, userOf(req), type, base(req))))
  }

  app.get('/Binary/:id', { config: { access: patientOrDoctor }, schema: hide }, async (req, reply) =>
    sendRecordContent(reply, await readBinary(deps, userOf(req), idOf(req), { range: headerOf(req, 'range'), ifNoneMatch: headerOf(req, 'if-none-match'), ifRange: headerOf(req, 'if-range') })),
  )
}
