/**
 * HTTP routes of the pharmacy counter (SPEC §4.9): `/pharmacy/*`, for verified pharmacists
 * only — patients, doctors and admins get 403, unverified pharmacists 403
 * `account-not-verified` (route gate). Lookups are rate-limited per pharmacist
 * (`RATE_LIMIT_PHARMACY_LOOKUP_PER_MIN`, SPEC §6).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { EmptyBody, Page, Problem } from '../../app/schemas.js'
import { Prescription, PrescriptionParams, toPrescriptionDto } from '../prescriptions/prescriptions.schema.js'
import {
  DispenseBody,
  HistoryEntry,
  HistoryQuery,
  LookupBody,
  PharmacyCheck,
  RejectBody,
  ScanBody,
  toHistoryEntryDto,
  toPharmacyCheckDto,
} from './dispensing.schema.js'
import {
  dispensePrescription,
  lookupPrescription,
  pharmacyHistory,
  rejectPrescription,
  scanPrescription,
  validatePrescription,
} from './dispensing.service.js'

const tags = ['pharmacy']
const pharmacistOnly = { roles: ['pharmacist'] } as const
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem }

/** Registers the `/pharmacy/*` routes (under `/api/v1`). */
export const dispensingRoutes: FeatureRoutes = async (app, { deps }) => {
  const limitLookups = async (req: FastifyRequest, reply: FastifyReply) => deps.rateLimits.hit('pharmacyLookup', userOf(req).id, reply)

  app.post('/pharmacy/scan', {
    config: { access: pharmacistOnly },
    schema: {
      tags,
      summary: "Scan a prescription's QR code: validity, problems and allergy warnings (counts a scan)",
      body: ScanBody,
      response: { 200: PharmacyCheck, ...errors, 410: Problem },
    },
  }, async (req) => toPharmacyCheckDto(await scanPrescription(deps, userOf(req), req.body.qrData)))

  app.post('/pharmacy/lookup', {
    config: { access: pharmacistOnly },
    preHandler: limitLookups,
    schema: {
      tags,
      summary: "Find a prescription by reference number and the patient's date of birth (counts a scan; rate-limited)",
      body: LookupBody,
      response: { 200: PharmacyCheck, ...errors, 429: Problem },
    },
  }, async (req) => toPharmacyCheckDto(await lookupPrescription(deps, userOf(req), req.body)))

  app.post('/pharmacy/prescriptions/:id/validate', {
    config: { access: pharmacistOnly },
    schema: {
      tags,
      summary: 'Check a prescription you scanned in the last hour again (no scan counted)',
      params: PrescriptionParams,
      body: EmptyBody,
      response: { 200: PharmacyCheck, ...errors },
    },
  }, async (req) => toPharmacyCheckDto(await validatePrescription(deps, userOf(req), req.params.id)))

  app.post('/pharmacy/prescriptions/:id/dispense', {
    config: { access: pharmacistOnly },
    schema: {
      tags,
      summary: 'Dispense all or part of a prescription you scanned in the last hour; never more than prescribed (409); warnings must be acknowledged (409)',
      params: PrescriptionParams,
      body: DispenseBody,
      response: { 200: Prescription, ...errors, 409: Problem, 422: Problem },
    },
  }, async (req) => toPrescriptionDto(await dispensePrescription(deps, userOf(req), req.params.id, req.body)))

  app.post('/pharmacy/prescriptions/:id/reject', {
    config: { access: pharmacistOnly },
    schema: {
      tags,
      summary: 'Refuse to dispense a prescription you scanned in the last hour, with a reason',
      params: PrescriptionParams,
      body: RejectBody,
      response: { 200: Prescription, ...errors, 409: Problem },
    },
  }, async (req) => toPrescriptionDto(await rejectPrescription(deps, userOf(req), req.params.id, req.body)))

  app.get('/pharmacy/history', {
    config: { access: pharmacistOnly },
    schema: {
      tags,
      summary: 'Your dispensations and rejections, newest first',
      querystring: HistoryQuery,
      response: { 200: Page(HistoryEntry), ...errors },
    },
  }, async (req) => {
    const page = await pharmacyHistory(deps, userOf(req), req.query)
    return { items: page.items.map(toHistoryEntryDto), nextCursor: page.nextCursor }
  })
}
