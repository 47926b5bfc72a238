/** Shapes of the API (SPEC §4), as the web app reads them. */

export type Role = 'patient' | 'doctor' | 'pharmacist' | 'admin'
export type UserStatus = 'active' | 'pending' | 'disabled'

export interface User {
  id: string
  email: string
  role: Role
  status: UserStatus
  name: string
  createdAt: string
  doctor?: { specialty: string; licenseNumber: string; organization?: string }
  pharmacist?: { pharmacyName: string; licenseNumber: string }
}

export interface SessionAnswer {
  user: User
  accessToken: string
  expiresIn: number
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface Coding {
  system: string
  code: string
  display?: string
}

export interface Allergy {
  id?: string
  substance: string
  reaction?: string
  severity?: 'mild' | 'moderate' | 'severe'
  code?: Coding
}
export interface Condition {
  id?: string
  name: string
  status?: 'active' | 'resolved'
  since?: string
  code?: Coding
}
export interface Medication {
  id?: string
  name: string
  dosage?: string
  frequency?: string
  since?: string
  code?: Coding
}
export interface EmergencyContact {
  id?: string
  name: string
  relationship?: string
  phone: string
  email?: string
}

export const SEXES = ['female', 'male', 'other', 'unknown'] as const
export const BLOOD_GROUPS = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'] as const

export interface Profile {
  fullName: string
  dateOfBirth: string | null
  age: number | null
  /** null until recorded (SPEC §4.2: before the first PUT everything but fullName is null). */
  sex: (typeof SEXES)[number] | null
  bloodGroup: string | null
  heightCm: number | null
  organDonor: boolean | null
  notes: string | null
  allergies: Allergy[]
  conditions: Condition[]
  medications: Medication[]
  emergencyContacts: EmergencyContact[]
  /** What the emergency view shows (SPEC §4.2): chosen ids, or null for the default. */
  emergencyCard: EmergencyCardChoice
  /** Read-only: the ids the default picks (active conditions without findings or social history; all medications). */
  emergencyCardDefault: { conditionIds: string[]; medicationIds: string[] }
  updatedAt: string
}
export interface EmergencyCardChoice {
  conditionIds: string[] | null
  medicationIds: string[] | null
}

export const RECORD_CATEGORIES = [
  'lab_report',
  'prescription',
  'imaging',
  'discharge_summary',
  'vaccination',
  'insurance',
  'clinical_note',
  'other',
] as const
export type RecordCategory = (typeof RECORD_CATEGORIES)[number]

export interface MedicalRecord {
  id: string
  patientId: string
  fileName: string
  originalFileName: string
  title: string | null
  category: RecordCategory
  contentType: string
  sizeBytes: number
  sha256: string
  recordDate: string
  doctorName: string | null
  description: string | null
  uploadedAt: string
  uploadedBy: { id: string; role: Role; name: string }
  source: 'upload' | 'import'
}

export interface CreatedShare {
  id: string
  recordId: string
  url: string
  token: string
  expiresAt: string
  passcodeRequired: boolean
  maxViews: number | null
  createdAt: string
}

export type ShareStatus = 'active' | 'expired' | 'revoked' | 'exhausted' | 'locked'
export interface ShareLink {
  id: string
  recordId: string
  expiresAt: string
  passcodeRequired: boolean
  maxViews: number | null
  views: number
  lastViewedAt: string | null
  status: ShareStatus
  createdAt: string
}

export interface EmergencyLink {
  url: string
  token: string
  createdAt: string
}

export interface ImportResult {
  imported: { allergies: number; conditions: number; medications: number; vitals: number; records: number }
  skipped: { resourceType: string; count: number; reason: string }[]
}

export interface AuditEvent {
  seq: number
  at: string
  action: string
  actor: { kind: string; id?: string; name?: string }
  patientId?: string
  resource: { type: string; id: string }
  ip: string | null
  userAgent: string | null
}

/** `GET /admin/audit/verify` (SPEC §4.7). */
export interface AuditVerification {
  ok: boolean
  events: number
  treeSize: number
  rootHash: string
  firstBadSeq?: number
}

export interface JobQueues {
  queues: { name: string; queued: number; active: number; completed: number; failed: number; retrying: number }[]
  healthy: boolean
}

/** `GET /admin/settings` (SPEC §6): PUBLIC_URL and whether it only works on this machine. */
export interface AdminSettings {
  publicUrl: string
  publicUrlIsLocal: boolean
}

// §4.8 care team

export interface Doctor {
  id: string
  name: string
  specialty: string
  organization?: string
}

export type ConsultationStatus = 'pending' | 'approved' | 'rejected' | 'ended' | 'cancelled'
export interface Consultation {
  id: string
  patient: { id: string; name: string }
  doctor: { id: string; name: string; specialty: string }
  status: ConsultationStatus
  reason: string | null
  createdAt: string
  decidedAt: string | null
}

export interface DoctorPatient {
  id: string
  fullName: string
  dateOfBirth: string | null
  consultationId: string
  /** When the consultation was approved. */
  since: string
}

export const VITAL_TYPES = [
  'blood_pressure',
  'heart_rate',
  'blood_glucose',
  'body_weight',
  'body_height',
  'body_temperature',
  'oxygen_saturation',
  'respiratory_rate',
] as const
export type VitalType = (typeof VITAL_TYPES)[number]
export type VitalFlag = 'low' | 'normal' | 'high' | 'critical'

export interface Vital {
  id: string
  type: VitalType
  loinc: string
  value?: number
  systolic?: number
  diastolic?: number
  unit: string
  context?: string | null
  measuredAt: string
  recordedBy?: unknown
  source?: string
  flag: VitalFlag
  note?: string | null
}

export interface Stat {
  min: number
  max: number
  mean: number
}
export interface TrendItem {
  bucketStart: string
  count: number
  min?: number
  max?: number
  mean?: number
  systolic?: Stat
  diastolic?: Stat
}
export interface Trends {
  type: VitalType
  unit: string
  bucket: 'day' | 'week' | 'month'
  items: TrendItem[]
}

export interface Note {
  id: string
  patientId: string
  author: { id: string; name: string }
  body: string
  sharedWithPatient: boolean
  createdAt: string
}

export interface Summary {
  generatedAt: string
  generator: string
  text: string
  highlights: { severity: 'info' | 'warning' | 'critical'; message: string; evidence: { type: string; id: string }[] }[]
}

// §4.9 prescriptions

export interface PrescriptionItem {
  id: string
  medicineName: string
  dosage: string
  frequency: string
  quantity: number
  durationDays: number | null
  instructions: string | null
  dispensedQuantity: number
}

export type PrescriptionStatus = 'active' | 'partially_dispensed' | 'dispensed' | 'rejected' | 'cancelled' | 'expired'

/** An allergy warning of `POST /prescriptions` (409 `allergy-warning`), SPEC §4.9. */
export interface AllergyWarning {
  code: 'allergy'
  message: string
  itemIndex: number
  substance: string
}

/** The allergy warnings a prescriber overrode when issuing, and why. */
export interface PrescriberWarnings {
  reason: string
  warnings: (AllergyWarning & { itemId: string })[]
}

/** A warning at the pharmacy counter: `allergy` or `prescriber_override`. */
export interface CounterWarning {
  code: string
  message: string
  itemId?: string
  substance?: string
}

export interface Prescription {
  id: string
  prescriptionNumber: string
  referenceNumber: string
  patient: { id: string; fullName: string; dateOfBirth: string | null }
  doctor: { id: string; name: string; specialty: string; licenseNumber: string }
  diagnosis: string
  notes: string | null
  items: PrescriptionItem[]
  status: PrescriptionStatus
  issuedAt: string
  expiresAt: string
  qr: { data: string; pngUrl: string; svgUrl: string }
  scanCount: number
  lastScannedAt: string | null
  dispensations: {
    id: string
    pharmacist: { id: string; name: string; pharmacyName: string }
    at: string
    items: { itemId: string; quantity: number; batchNumber: string; expiryDate?: string | null; unitPrice?: number | null }[]
    warningsAcknowledged?: boolean
    acknowledgedWarnings?: { code: string; message: string }[]
  }[]
  rejection?: { reason: string; by: unknown; at: string } | null
  prescriberWarnings?: PrescriberWarnings | null
}

export interface PharmacyCheck {
  prescription: Prescription
  isValid: boolean
  canDispense: boolean
  problems: { code: string; message: string }[]
  warnings: CounterWarning[]
  allergies?: { substance: string; reaction?: string; severity?: string }[]
}

export interface HistoryEntry {
  kind: 'dispensation' | 'rejection'
  id: string
  at: string
  prescriptionId: string
  prescriptionNumber: string
  items?: { itemId: string; medicineName: string; quantity: number; batchNumber: string; expiryDate?: string; unitPrice?: number }[]
  notes?: string | null
  reason?: string
}
