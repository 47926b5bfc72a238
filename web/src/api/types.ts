/**
 * Short names for the API's shapes (SPEC §4), derived from the generated OpenAPI types
 * (`schema.gen.ts`, `npm run gen:api`) — never declared by hand (STYLE §9). A name here
 * is an alias of a response or request body of one operation; the select options the
 * server enumerates come from the document too (`apiEnums`).
 */
import { apiEnums, type paths } from './schema.gen'

/** Every path of the API, as the OpenAPI document spells it (`/api/v1/...`). */
export type ApiPath = keyof paths
type Method = 'get' | 'put' | 'post' | 'delete' | 'patch'
type Operation<P extends ApiPath, M extends Method> = NonNullable<paths[P][M]>
type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never

/** The JSON body of the success answer (200, else 201) of `M path`. */
export type ResponseOf<P extends ApiPath, M extends Method> =
  Operation<P, M> extends { responses: infer R } ? (R extends { 200: infer A } ? Json<A> : R extends { 201: infer B } ? Json<B> : never) : never

/** The JSON problem body `M path` declares for `status` (e.g. a 409 with its extension members). */
export type ProblemOf<P extends ApiPath, M extends Method, S extends number> =
  Operation<P, M> extends { responses: infer R } ? (S extends keyof R ? Json<R[S]> : never) : never

/** The JSON request body of `M path`. */
export type BodyOf<P extends ApiPath, M extends Method> = Operation<P, M> extends { requestBody?: infer B } ? Json<NonNullable<B>> : never

/** The query parameters of `M path`. */
export type QueryOf<P extends ApiPath, M extends Method> = Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never

// ---- accounts (§4.1) --------------------------------------------------------------------
export type SessionAnswer = ResponseOf<'/api/v1/auth/login/mfa', 'post'>
/** `POST /auth/login`'s answer for an account with a second factor (SPEC §8): no session yet. */
export type MfaChallenge = Extract<ResponseOf<'/api/v1/auth/login', 'post'>, { mfaRequired: true }>
export type User = ResponseOf<'/api/v1/auth/me', 'get'>['user']
export type Role = User['role']
export type RegisterInput = BodyOf<'/api/v1/auth/register', 'post'>

// ---- profile (§4.2) ---------------------------------------------------------------------
export type Profile = ResponseOf<'/api/v1/patients/{pid}/profile', 'get'>
export type ProfileInput = BodyOf<'/api/v1/patients/{pid}/profile', 'put'>
export type Allergy = NonNullable<ProfileInput['allergies']>[number]
export type Condition = NonNullable<ProfileInput['conditions']>[number]
export type Medication = NonNullable<ProfileInput['medications']>[number]
export type EmergencyContact = NonNullable<ProfileInput['emergencyContacts']>[number]
export const SEXES = apiEnums.sex
export const BLOOD_GROUPS = apiEnums.bloodGroup

// ---- records and shares (§4.3–§4.5) -----------------------------------------------------
export type MedicalRecord = ResponseOf<'/api/v1/patients/{pid}/records/{id}', 'get'>
export type RecordCategory = MedicalRecord['category']
export const RECORD_CATEGORIES = apiEnums.recordCategory
export type CreatedShare = ResponseOf<'/api/v1/patients/{pid}/records/{id}/shares', 'post'>
export type ShareLink = ResponseOf<'/api/v1/shares', 'get'>['items'][number]

// ---- SMART Health Links (§9) -------------------------------------------------------------
export type CreatedShl = ResponseOf<'/api/v1/patients/me/shl', 'post'>
export type ShlLink = ResponseOf<'/api/v1/patients/me/shl', 'get'>['items'][number]
export type ShlInput = BodyOf<'/api/v1/patients/me/shl', 'post'>
export type ImportResult = ResponseOf<'/api/v1/patients/{pid}/import', 'post'>
/** One member of a 409 `identity-mismatch` problem's `differences` (SPEC §4.4). */
export type IdentityDifference = Extract<ProblemOf<'/api/v1/patients/{pid}/import', 'post', 409>, { differences: unknown }>['differences'][number]

// ---- audit and administration (§4.7, §6) ------------------------------------------------
export type AuditEvent = ResponseOf<'/api/v1/patients/{pid}/audit', 'get'>['items'][number]
export type UserFilters = QueryOf<'/api/v1/admin/users', 'get'>

// ---- care team (§4.8) -------------------------------------------------------------------
export type Consultation = ResponseOf<'/api/v1/consultations', 'get'>['items'][number]
export type Doctor = ResponseOf<'/api/v1/doctors', 'get'>['items'][number]
export type Note = ResponseOf<'/api/v1/patients/{pid}/notes', 'get'>['items'][number]
export type Encounter = ResponseOf<'/api/v1/patients/{pid}/encounters', 'get'>['items'][number]
export type EncounterDetail = ResponseOf<'/api/v1/patients/{pid}/encounters/{id}', 'get'>
export type EncounterInput = BodyOf<'/api/v1/patients/{pid}/encounters', 'post'>
export type Organization = ResponseOf<'/api/v1/organizations', 'get'>['items'][number]
export type Vital = ResponseOf<'/api/v1/patients/{pid}/vitals', 'get'>['items'][number]
export type VitalType = Vital['type']
export const VITAL_TYPES = apiEnums.vitalType
export type VitalInput = BodyOf<'/api/v1/patients/{pid}/vitals', 'post'>
export type LabResult = ResponseOf<'/api/v1/patients/{pid}/labs', 'get'>['items'][number]
export type LabInterpretation = NonNullable<LabResult['interpretation']>
export type LabTrend = ResponseOf<'/api/v1/patients/{pid}/labs/trends', 'get'>

// ---- appointments (§10) -----------------------------------------------------------------
export type Appointment = ResponseOf<'/api/v1/appointments/{id}', 'get'>
export type AppointmentStatus = Appointment['status']
export type BookingInput = BodyOf<'/api/v1/appointments', 'post'>
export type Slot = ResponseOf<'/api/v1/doctors/{id}/slots', 'get'>['items'][number]
export type Availability = ResponseOf<'/api/v1/doctor/availability', 'get'>
export type AvailabilityInput = BodyOf<'/api/v1/doctor/availability', 'put'>
export type WeeklyWindow = AvailabilityInput['weekly'][number]
export type ExceptionInput = BodyOf<'/api/v1/doctor/availability/exceptions', 'post'>

// ---- prescriptions (§4.9) ---------------------------------------------------------------
export type Prescription = ResponseOf<'/api/v1/prescriptions/{id}', 'get'>
export type PrescriptionStatus = Prescription['status']
export type PrescriptionInput = BodyOf<'/api/v1/prescriptions', 'post'>
/** An allergy warning of `POST /prescriptions` (409 `allergy-warning`), as kept with the prescription. */
export type AllergyWarning = Omit<NonNullable<Prescription['prescriberWarnings']>['warnings'][number], 'itemId'>
export type PharmacyCheck = ResponseOf<'/api/v1/pharmacy/scan', 'post'>
/** A warning at the pharmacy counter: `allergy` or `prescriber_override`. */
export type CounterWarning = PharmacyCheck['warnings'][number]
export type DispenseInput = BodyOf<'/api/v1/pharmacy/prescriptions/{id}/dispense', 'post'>

// ---- passkeys (§8) ---------------------------------------------------------------------
export type Passkey = ResponseOf<'/api/v1/auth/passkeys', 'get'>['items'][number]
export type PasskeySignInBody = BodyOf<'/api/v1/auth/passkeys/authentication', 'post'>
