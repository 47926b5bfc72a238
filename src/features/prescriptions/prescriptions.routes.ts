/**
 * HTTP routes of prescriptions for doctors and patients (SPEC §4.9). Pharmacists never use
 * these (403 at the route gate): their counter is `/pharmacy/*` (features/dispensing).
 */
import { z } from 'zod'
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { EmptyBody, Page, PatientIdParam, Problem } from '../../app/schemas.js'
import { CreatePrescriptionBody, Prescription, PrescriptionListQuery, PrescriptionParams, toPrescriptionDto } from './prescriptions.schema.js'
import {
  cancelPrescription,
  createPrescription,
  getPrescription,
  listLockerPrescriptions,
  listPrescriptions,
  prescriptionQr,
  resendPrescriptionEmail,
} from './prescriptions.service.js'

const tags = ['prescriptions']
const doctorOnly = { roles: ['doctor'] } as const
const patientOrDoctor = { roles: ['patient', 'doctor'] } as const
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem }

/** Registers the prescription routes (under `/api/v1`). */
export const prescriptionsRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/prescriptions', {
    config: { access: doctorOnly },
    schema: {
      tags,
      summary: 'Issue a prescription for a patient with an approved consultation (you are the prescriber); emails the patient',
      description:
        "Each item is checked against the patient's recorded allergies: a match is 409 `allergy-warning` with `warnings: [{code, message, itemIndex, substance}]` and nothing created, unless the body carries `allergyOverride: {reason}` (at least 10 characters); then the prescription carries `prescriberWarnings`, shown to the pharmacist.",
      body: CreatePrescriptionBody,
      response: { 201: Prescription, ...errors, 409: Problem },
    },
  }, async (req, reply) => reply.code(201).send(toPrescriptionDto(await createPrescription(deps, userOf(req), req.body))))

  app.get('/prescriptions', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: 'Prescriptions you issued (doctor) or received (patient), newest first',
      querystring: PrescriptionListQuery,
      response: { 200: Page(Prescription), ...errors },
    },
  }, async (req) => {
    const page = await listPrescriptions(deps, userOf(req), req.query)
    return { items: page.items.map(toPrescriptionDto), nextCursor: page.nextCursor }
  })

  app.get('/patients/:pid/prescriptions', {
    config: { access: { roles: ['patient'] } },
    schema: {
      tags,
      summary: "A patient's prescriptions, newest first: the patient (`me`) or a caregiver of theirs (SPEC §10)",
      params: z.object({ pid: PatientIdParam }).strict(),
      querystring: PrescriptionListQuery,
      response: { 200: Page(Prescription), ...errors },
    },
  }, async (req) => {
    const page = await listLockerPrescriptions(deps, userOf(req), req.params.pid, req.query)
    return { items: page.items.map(toPrescriptionDto), nextCursor: page.nextCursor }
  })

  app.get('/prescriptions/:id', {
    config: { access: patientOrDoctor },
    schema: { tags, summary: 'One prescription (its patient or prescriber)', params: PrescriptionParams, response: { 200: Prescription, ...errors } },
  }, async (req) => toPrescriptionDto(await getPrescription(deps, userOf(req), req.params.id)))

  app.get('/prescriptions/:id/qr.png', {
    config: { access: patientOrDoctor },
    schema: { tags, summary: 'The QR code (PNG) of qr.data, made locally', params: PrescriptionParams, produces: ['image/png'] },
  }, async (req, reply) => reply.type('image/png').header('cache-control', 'no-store').send(await prescriptionQr(deps, userOf(req), req.params.id, 'png')))

  app.get('/prescriptions/:id/qr.svg', {
    config: { access: patientOrDoctor },
    schema: { tags, summary: 'The QR code (SVG) of qr.data, made locally', params: PrescriptionParams, produces: ['image/svg+xml'] },
  }, async (req, reply) => reply.type('image/svg+xml').header('cache-control', 'no-store').send(await prescriptionQr(deps, userOf(req), req.params.id, 'svg')))

  app.post('/prescriptions/:id/cancel', {
    config: { access: doctorOnly },
    schema: {
      tags,
      summary: 'Cancel a prescription you issued, while it is active (409 otherwise)',
      params: PrescriptionParams,
      body: EmptyBody,
      response: { 200: Prescription, ...errors, 409: Problem },
    },
  }, async (req) => toPrescriptionDto(await cancelPrescription(deps, userOf(req), req.params.id)))

  app.post('/prescriptions/:id/email', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: 'Send the prescription email to the patient again (202; queued)',
      params: PrescriptionParams,
      body: EmptyBody,
      response: { 202: z.null(), ...errors, 409: Problem },
    },
  }, async (req, reply) => {
    await resendPrescriptionEmail(deps, userOf(req), req.params.id)
    return reply.code(202).send(null)
  })
}
