/**
 * HTTP routes of consultations and the doctor's patient list (SPEC §4.8). Requests are the
 * patient's; decisions the doctor's; the doctor is always the signed-in one, never a body
 * field. Pending (unverified) doctors get 403 account-not-verified on all of them.
 */
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { EmptyBody, Page, Problem } from '../../app/schemas.js'
import {
  Consultation,
  ConsultationListQuery,
  ConsultationParams,
  DoctorPatient,
  DoctorPatientsQuery,
  RequestConsultationBody,
} from './consultations.schema.js'
import { decideConsultation, endConsultation, getConsultation, listConsultations, listDoctorPatients, requestConsultation } from './consultations.service.js'

const tags = ['care-team']
const parties = { roles: ['patient', 'doctor'] } as const
const doctorOnly = { roles: ['doctor'] } as const
const action = { params: ConsultationParams, body: EmptyBody, response: { 200: Consultation, 403: Problem, 404: Problem, 409: Problem } }

/** Mounts the consultation routes and `GET /doctor/patients`, each with its roles (SPEC §4.8). */
export const consultationsRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/consultations', {
    config: { access: { roles: ['patient'] } },
    schema: {
      tags,
      summary: 'Ask a verified doctor for a consultation (patient)',
      description: '409 `consultation-open` when a pending or approved consultation with this doctor exists; 404 for an unknown or unverified doctor.',
      body: RequestConsultationBody,
      response: { 201: Consultation, 400: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (req, reply) => reply.code(201).send(await requestConsultation(deps, userOf(req), req.body)))

  app.get('/consultations', {
    config: { access: parties },
    schema: {
      tags,
      summary: "The caller's consultations (a patient's as patient, a doctor's as doctor), newest first",
      querystring: ConsultationListQuery,
      response: { 200: Page(Consultation), 400: Problem, 403: Problem },
    },
  }, async (req) => listConsultations(deps, userOf(req), req.query))

  app.get('/consultations/:id', {
    config: { access: parties },
    schema: { tags, summary: 'One of your consultations', params: ConsultationParams, response: { 200: Consultation, 403: Problem, 404: Problem } },
  }, async (req) => getConsultation(deps, userOf(req), req.params.id))

  app.post('/consultations/:id/approve', {
    config: { access: doctorOnly },
    schema: { tags, summary: 'Approve a pending request addressed to you: access starts now', ...action },
  }, async (req) => decideConsultation(deps, userOf(req), req.params.id, 'approve'))

  app.post('/consultations/:id/reject', {
    config: { access: doctorOnly },
    schema: { tags, summary: 'Reject a pending request addressed to you', ...action },
  }, async (req) => decideConsultation(deps, userOf(req), req.params.id, 'reject'))

  app.post('/consultations/:id/end', {
    config: { access: parties },
    schema: {
      tags,
      summary: 'End an approved consultation (either side), or withdraw a pending request (the patient)',
      description: 'approved → ended (access stops on the next request); pending → cancelled when the patient calls it. Anything else is 409.',
      ...action,
    },
  }, async (req) => endConsultation(deps, userOf(req), req.params.id))

  app.get('/doctor/patients', {
    config: { access: doctorOnly },
    schema: {
      tags,
      summary: 'Your patients with an approved consultation, most recently approved first',
      querystring: DoctorPatientsQuery,
      response: { 200: Page(DoctorPatient), 400: Problem, 403: Problem },
    },
  }, async (req) => listDoctorPatients(deps, userOf(req), req.query))
}
