/**
 * HTTP routes of appointments (SPEC §10; FHIR Schedule, Slot, Appointment): a doctor's
 * availability and exceptions, free slots, booking, the lists, cancel and reschedule.
 * Slots are open to signed-in patients (who book) and doctors (their own and colleagues');
 * pending doctors get 403 account-not-verified everywhere.
 */
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { EmptyBody, ListQuery, Page, Problem } from '../../app/schemas.js'
import { z } from 'zod'
import {
  Appointment,
  AppointmentListQuery,
  AppointmentParams,
  Availability,
  AvailabilityBody,
  AvailabilityException,
  BookBody,
  DoctorParams,
  ExceptionBody,
  ExceptionParams,
  PatientAppointmentsParams,
  RescheduleBody,
  SlotList,
  SlotsQuery,
} from './appointments.schema.js'
import { bookAppointment, cancelAppointment, getAppointment, listOwnAppointments, listPatientAppointments, rescheduleAppointment } from './appointments.service.js'
import { createException, deleteException, getAvailability, listExceptions, listFreeSlots, putAvailability } from './availability.service.js'

const tags = ['appointments']
const doctorOnly = { roles: ['doctor'] } as const
const parties = { roles: ['patient', 'doctor'] } as const
const change = { params: AppointmentParams, response: { 200: Appointment, 400: Problem, 403: Problem, 404: Problem, 409: Problem } }

/** Mounts the appointment routes, each with its roles (SPEC §10). */
export const appointmentsRoutes: FeatureRoutes = async (app, { deps }) => {
  app.put('/doctor/availability', {
    config: { access: doctorOnly },
    schema: {
      tags,
      summary: 'Publish your weekly availability (FHIR Schedule)',
      description: 'Windows are wall-clock `HH:MM` in `timeZone` (IANA), weekday 1 = Monday … 7 = Sunday. 400 for an unknown zone, a window whose start is not before its end, or overlapping windows.',
      body: AvailabilityBody,
      response: { 200: Availability, 400: Problem, 403: Problem },
    },
  }, async (req) => putAvailability(deps, userOf(req), req.body))

  app.get('/doctor/availability', {
    config: { access: doctorOnly },
    schema: { tags, summary: 'Your weekly availability (404 before you publish one)', response: { 200: Availability, 403: Problem, 404: Problem } },
  }, async (req) => getAvailability(deps, userOf(req)))

  app.post('/doctor/availability/exceptions', {
    config: { access: doctorOnly },
    schema: {
      tags,
      summary: 'Mark a span when you are away: no slot overlapping it is offered',
      body: ExceptionBody,
      response: { 201: AvailabilityException, 400: Problem, 403: Problem },
    },
  }, async (req, reply) => reply.code(201).send(await createException(deps, userOf(req), req.body)))

  app.get('/doctor/availability/exceptions', {
    config: { access: doctorOnly },
    schema: { tags, summary: 'Your exceptions that have not ended, earliest first', querystring: z.object(ListQuery).strict(), response: { 200: Page(AvailabilityException), 400: Problem, 403: Problem } },
  }, async (req) => listExceptions(deps, userOf(req), req.query))

  app.delete('/doctor/availability/exceptions/:id', {
    config: { access: doctorOnly },
    schema: { tags, summary: 'Remove one of your exceptions', params: ExceptionParams, response: { 204: z.null(), 403: Problem, 404: Problem } },
  }, async (req, reply) => {
    await deleteException(deps, userOf(req), req.params.id)
    return reply.code(204).send(null)
  })

  app.get('/doctors/:id/slots', {
    config: { access: parties },
    schema: {
      tags,
      summary: "A verified doctor's free slots (FHIR Slot) starting in [from, to)",
      description: 'A date is its whole UTC day; at most 31 days; `from` before `to`. The weekly grid in the doctor\'s time zone, minus exceptions, booked slots and the past.',
      params: DoctorParams,
      querystring: SlotsQuery,
      response: { 200: SlotList, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => listFreeSlots(deps, userOf(req), req.params.id, req.query))

  app.post('/appointments', {
    config: { access: { roles: ['patient'] } },
    schema: {
      tags,
      summary: 'Book a free slot (for yourself, or as a `manage` caregiver for `patientId`)',
      description: '409 `no-consultation` without an approved consultation with the doctor, `slot-unavailable` for a start that is not a free slot start, `slot-taken` when someone booked it first.',
      body: BookBody,
      response: { 201: Appointment, 400: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (req, reply) => reply.code(201).send(await bookAppointment(deps, userOf(req), req.body)))

  app.get('/appointments', {
    config: { access: parties },
    schema: {
      tags,
      summary: 'Your appointments (a patient\'s as patient, a doctor\'s as doctor), by start, earliest first',
      querystring: AppointmentListQuery,
      response: { 200: Page(Appointment), 400: Problem, 403: Problem },
    },
  }, async (req) => listOwnAppointments(deps, userOf(req), req.query))

  app.get('/appointments/:id', {
    config: { access: parties },
    schema: { tags, summary: 'One appointment (its two sides and the patient\'s caregivers)', params: AppointmentParams, response: { 200: Appointment, 403: Problem, 404: Problem } },
  }, async (req) => getAppointment(deps, userOf(req), req.params.id))

  app.get('/patients/:pid/appointments', {
    config: { access: { roles: ['patient'] } },
    schema: {
      tags,
      summary: "A patient's appointments (the patient and their caregivers), by start, earliest first",
      params: PatientAppointmentsParams,
      querystring: AppointmentListQuery,
      response: { 200: Page(Appointment), 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => listPatientAppointments(deps, userOf(req), req.params.pid, req.query))

  app.post('/appointments/:id/cancel', {
    config: { access: parties },
    schema: { tags, summary: 'Cancel a booked appointment (either side, or a `manage` caregiver)', body: EmptyBody, ...change },
  }, async (req) => cancelAppointment(deps, userOf(req), req.params.id))

  app.post('/appointments/:id/reschedule', {
    config: { access: parties },
    schema: { tags, summary: 'Move a booked appointment to another free slot of its doctor', body: RescheduleBody, ...change },
  }, async (req) => rescheduleAppointment(deps, userOf(req), req.params.id, req.body))
}
