/**
 * Table types for Kysely. SQL is snake_case; Kysely's CamelCasePlugin maps it to the
 * camelCase names below (STYLE §6). Written by hand beside `migrations/`; `schema.test.ts`
 * keeps it honest: it migrates a fresh database on each engine and fails, naming each
 * difference, when a table, a column or a column's nullability (`| null`) disagrees.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
/** A calendar date, kept as `YYYY-MM-DD` text in TypeScript (the DATE type parser is overridden). */
type CalendarDate = string
type Json<T> = ColumnType<T, string, string>

export type Role = 'patient' | 'doctor' | 'pharmacist' | 'admin'
export type UserStatus = 'active' | 'pending' | 'disabled'

export interface UsersTable {
  id: Generated<string>
  email: string
  /** argon2id; null for an account made by OpenID Connect sign-in that never set a password (migration 0017). */
  passwordHash: string | null
  role: Role
  status: UserStatus
  name: string
  specialty: string | null
  licenseNumber: string | null
  organization: string | null
  pharmacyName: string | null
  /** The organization a doctor or pharmacist belongs to (SPEC §10, migration 0021). */
  organizationId: string | null
  /** A patient made by another patient, who never signs in (SPEC §10 dependents, migration 0021). */
  isDependent: Generated<boolean>
  /** When an admin verified this doctor or pharmacist (migration 0012); null for other roles and the never verified. */
  verifiedAt: Timestamp | null
  /** When the user proved they read mail at `email` (SPEC §8, migration 0017); null until then. */
  emailVerifiedAt: Timestamp | null
  /** When the patient erased their locker (SPEC §9 `DELETE /patients/me`, migration 0020); the account is disabled then. */
  erasedAt: Timestamp | null
  createdAt: Timestamp
  updatedAt: Timestamp
}

/** First-run setup links (SPEC §1, migration 0013): the token's SHA-256 only. */
export interface SetupTokensTable {
  tokenHash: string
  createdAt: Timestamp
  usedAt: Timestamp | null
  usedBy: string | null
}

export interface SessionsTable {
  id: Generated<string>
  userId: string
  createdAt: Timestamp
  revokedAt: Timestamp | null
  revokedReason: string | null
  /** Sign-in, then every refresh (SPEC §8 idle lifetime, migration 0017). */
  lastUsedAt: ColumnType<Date, Date | string | undefined, Date | string>
  ip: string | null
  userAgent: string | null
  /** How the session was opened: `password`, `totp`, `recovery`, `passkey`, `oidc`, `setup`. */
  authMethod: string | null
}

/** A single-use email verification link (SPEC §8): `token_hash` = SHA-256 of the token in the link. */
export interface EmailVerificationsTable {
  tokenHash: string
  userId: string
  /** The address the link was sent to; verifying marks the account only if it still has it. */
  email: string
  createdAt: Timestamp
  expiresAt: Timestamp
  usedAt: Timestamp | null
}

/** A user's TOTP secret (RFC 6238), encrypted under the master key; confirmed once a code was checked. */
export interface TotpFactorsTable {
  userId: string
  secretCiphertext: string
  createdAt: Timestamp
  confirmedAt: Timestamp | null
  /** The last 30-second time step accepted: a code of this step or earlier is a replay. */
  lastUsedStep: number | null
}

/** One recovery code (SPEC §8), SHA-256 hashed; usable once ever. */
export interface RecoveryCodesTable {
  codeHash: string
  userId: string
  createdAt: Timestamp
  usedAt: Timestamp | null
}

/** The `mfaToken` of a login waiting for its second factor (SPEC §8): 5 minutes, 5 wrong codes. */
export interface MfaChallengesTable {
  tokenHash: string
  userId: string
  createdAt: Timestamp
  expiresAt: Timestamp
  failures: Generated<number>
  usedAt: Timestamp | null
}

/** A WebAuthn credential (passkey) of a user (SPEC §8). `credentialId` is base64url. */
export interface PasskeysTable {
  id: Generated<string>
  userId: string
  credentialId: string
  publicKey: Buffer
  counter: Generated<number>
  transports: ColumnType<string[], string | undefined, string>
  deviceType: string
  backedUp: boolean
  name: string
  createdAt: Timestamp
  lastUsedAt: Timestamp | null
}

/** A WebAuthn challenge we issued (5 minutes, single use); `userId` null for a discoverable sign-in. */
export interface WebauthnChallengesTable {
  challenge: string
  userId: string | null
  purpose: 'registration' | 'authentication'
  createdAt: Timestamp
  expiresAt: Timestamp
  usedAt: Timestamp | null
}

/** An OpenID Connect authorization request in flight (SPEC §8): keyed by the SHA-256 of its `state`. */
export interface OidcLoginsTable {
  stateHash: string
  codeVerifier: string
  nonce: string
  createdAt: Timestamp
  expiresAt: Timestamp
  usedAt: Timestamp | null
}

/** An account's identity at an OpenID Connect provider: (`iss`, `sub`) of its ID tokens. */
export interface OidcIdentitiesTable {
  issuer: string
  subject: string
  userId: string
  createdAt: Timestamp
}

/** Browsers a user has signed in from (SPEC §8 new-browser notice): SHA-256 of the browser's id. */
export interface KnownBrowsersTable {
  userId: string
  browserHash: string
  firstSeenAt: Timestamp
}

export interface RefreshTokensTable {
  tokenHash: string
  sessionId: string
  createdAt: Timestamp
  usedAt: Timestamp | null
}

export interface ProfileAllergy {
  id: string
  substance: string
  reaction?: string | undefined
  severity?: 'mild' | 'moderate' | 'severe' | undefined
  code?: Coding | undefined
}
export interface ProfileCondition {
  id: string
  name: string
  status?: 'active' | 'resolved' | undefined
  since?: string | undefined
  code?: Coding | undefined
}
export interface ProfileMedication {
  id: string
  name: string
  dosage?: string | undefined
  frequency?: string | undefined
  since?: string | undefined
  code?: Coding | undefined
}
export interface EmergencyContact {
  id: string
  name: string
  relationship?: string | undefined
  phone: string
  email?: string | undefined
}
/** What the emergency view shows (SPEC §4.2): chosen ids, or null for the default rule. */
export interface EmergencyCardChoice {
  conditionIds: string[] | null
  medicationIds: string[] | null
}
export interface Coding {
  system: string
  code: string
  display?: string | undefined
}

export interface PatientProfilesTable {
  patientId: string
  fullName: string
  dateOfBirth: CalendarDate | null
  sex: 'female' | 'male' | 'other' | 'unknown' | null
  bloodGroup: string | null
  heightCm: number | null
  organDonor: boolean | null
  notes: string | null
  allergies: Json<ProfileAllergy[]>
  conditions: Json<ProfileCondition[]>
  medications: Json<ProfileMedication[]>
  emergencyContacts: Json<EmergencyContact[]>
  emergencyCard: Json<EmergencyCardChoice>
  /** The patient's own mobile number, E.164 (migration 0023): appointment reminders by SMS. */
  phone: string | null
  updatedAt: Timestamp
}

export interface RecordsTable {
  id: Generated<string>
  patientId: string
  fileName: string
  originalFileName: string
  title: string | null
  category: string
  contentType: string
  sizeBytes: number
  sha256: string
  recordDate: CalendarDate
  doctorName: string | null
  description: string | null
  uploadedAt: Timestamp
  uploadedBy: string
  source: 'upload' | 'import'
  sourceRef: string | null
  blobKey: string
  wrappedKey: Buffer | null
  deletedAt: Timestamp | null
}

export interface VitalsTable {
  id: Generated<string>
  patientId: string
  type: string
  loinc: string
  value: number | null
  systolic: number | null
  diastolic: number | null
  unit: string
  context: string | null
  measuredAt: Timestamp
  recordedBy: string | null
  source: 'manual' | 'import'
  sourceRef: string | null
  note: string | null
  flag: 'low' | 'normal' | 'high' | 'critical'
  createdAt: Timestamp
  /** The visit it was taken at (SPEC §10, migration 0021). */
  encounterId: string | null
}

/** A lab result's interpretation (FHIR v3-ObservationInterpretation subset, SPEC §4.8b). */
export type LabInterpretation = 'L' | 'N' | 'H' | 'LL' | 'HH' | 'A'

export interface LabResultsTable {
  id: Generated<string>
  patientId: string
  loinc: string
  display: string
  value: number | null
  valueText: string | null
  /** UCUM. */
  unit: string | null
  referenceLow: number | null
  referenceHigh: number | null
  referenceText: string | null
  interpretation: LabInterpretation | null
  effectiveAt: Timestamp
  source: 'manual' | 'import'
  sourceRef: string | null
  recordedBy: string | null
  createdAt: Timestamp
}

export type PatientExportStatus = 'pending' | 'ready' | 'failed'

/** A patient's export zip (SPEC §9 "Take your data and go", migration 0020): stored encrypted like a record while it lives (24 h). */
export interface PatientExportsTable {
  id: Generated<string>
  patientId: string
  status: PatientExportStatus
  /** Set with `wrappedKey` once ready; both cleared when the export expires or the locker is erased. */
  blobKey: string | null
  wrappedKey: Buffer | null
  sizeBytes: number | null
  /** Hex SHA-256 of the zip. */
  sha256: string | null
  /** Why a failed export failed (no personal data). */
  error: string | null
  createdAt: Timestamp
  readyAt: Timestamp | null
  expiresAt: Timestamp
}

export interface FhirImportedResourcesTable {
  patientId: string
  resourceType: string
  fhirId: string
  importedAt: Timestamp
}

export type ConsultationStatus = 'pending' | 'approved' | 'rejected' | 'ended' | 'cancelled'

export interface ConsultationsTable {
  id: Generated<string>
  patientId: string
  doctorId: string
  status: ConsultationStatus
  reason: string | null
  createdAt: Timestamp
  decidedAt: Timestamp | null
  endedAt: Timestamp | null
}

/** A doctor's note about a patient (SPEC §4.8; migration 0006). */
export interface NotesTable {
  id: Generated<string>
  patientId: string
  authorId: string
  body: string
  sharedWithPatient: boolean
  createdAt: Timestamp
  /** The visit it was written at (SPEC §10, migration 0021). */
  encounterId: string | null
}

/** Who acted, as kept in the audit log (SPEC §4.7). */
export type AuditActorKind = 'patient' | 'doctor' | 'pharmacist' | 'admin' | 'caregiver' | 'share' | 'emergency' | 'system'

/**
 * One event of the audit log (migrations 0002, 0014; src/audit). `seq` is null until the
 * sealer puts the event into the Merkle tree; `id` only orders events for the sealer.
 */
export interface AuditEventsTable {
  id: Generated<number>
  seq: number | null
  at: Timestamp
  action: string
  actorKind: AuditActorKind
  actorId: string | null
  actorName: string | null
  patientId: string | null
  resourceType: string
  resourceId: string
  ip: string | null
  userAgent: string | null
}

/** A node of a perfect subtree of the audit Merkle tree (RFC 9162 §2.1); level 0 = leaves. Hash: lowercase hex. */
export interface AuditTreeNodesTable {
  level: number
  idx: number
  hash: string
}

/** A signed tree head (SPEC §4.7): `signature` is a compact JWS (EdDSA) over `{treeSize, rootHash, timestamp}`. */
export interface AuditTreeHeadsTable {
  treeSize: number
  rootHash: string
  signedAt: Timestamp
  signature: string
}

export interface ShareLinksTable {
  id: Generated<string>
  patientId: string
  recordId: string
  tokenHash: string
  passcodeHash: string | null
  expiresAt: Timestamp
  maxViews: number | null
  views: Generated<number>
  failedAttempts: Generated<number>
  lastViewedAt: Timestamp | null
  revokedAt: Timestamp | null
  createdAt: Timestamp
}

export interface SmartHealthLinksTable {
  id: Generated<string>
  patientId: string
  manifestIdHash: string
  label: string | null
  passcodeHash: string | null
  attemptsLeft: number
  flags: string
  includeSummary: boolean
  recordIds: ColumnType<string[], string[] | undefined, string[]>
  expiresAt: Timestamp
  revokedAt: Timestamp | null
  createdAt: Timestamp
}
export type SmartHealthLinkRow = Selectable<SmartHealthLinksTable>

export interface SmartHealthLinkFilesTable {
  id: Generated<string>
  linkId: string
  position: number
  contentType: string
  recordId: string | null
  blobKey: string
  wrappedKey: Buffer
  sizeBytes: number
}

export interface SmartHealthLinkLocationsTable {
  tokenHash: string
  fileId: string
  expiresAt: Timestamp
}

export interface SmartHealthLinkAccessesTable {
  id: Generated<string>
  linkId: string
  recipient: string
  at: Timestamp
}

export interface EmergencyAccessTable {
  patientId: string
  tokenHash: string
  salt: string
  createdAt: Timestamp
  lastAlertAt: Timestamp | null
}

/** One emergency alert round sent (SPEC §4.6: at most 3 per patient per 24 h). */
export interface EmergencyAlertRoundsTable {
  id: Generated<string>
  patientId: string
  sentAt: Timestamp
}

/** One alert SMS sent to a destination (SHA-256 of the E.164 number; SPEC §4.6: at most 10 per 24 h). */
export interface AlertSmsSendsTable {
  id: Generated<string>
  destinationHash: string
  patientId: string
  sentAt: Timestamp
}

export interface EmergencyRotatedTokensTable {
  tokenHash: string
  patientId: string
  rotatedAt: Timestamp
}

export interface PasswordResetCodesTable {
  id: Generated<string>
  userId: string
  codeHash: string
  expiresAt: Timestamp
  attempts: Generated<number>
  usedAt: Timestamp | null
  createdAt: Timestamp
}

/** Stored prescription states; `expired` is computed from `expiresAt` when read (SPEC §4.9). */
export type StoredPrescriptionStatus = 'active' | 'partially_dispensed' | 'dispensed' | 'rejected' | 'cancelled'

/** A prescription (SPEC §4.9; migration 0008). */
export interface PrescriptionsTable {
  id: Generated<string>
  prescriptionNumber: string
  /** The visit it was written at (SPEC §10, migration 0021). */
  encounterId: string | null
  /** Crockford base32 reference number without hyphens (12 symbols + check symbol). */
  referenceCode: string
  /** Random value carried in the signed QR token. */
  qrNonce: string
  patientId: string
  doctorId: string
  diagnosis: string
  notes: string | null
  status: StoredPrescriptionStatus
  issuedAt: Timestamp
  expiresAt: Timestamp
  scanCount: Generated<number>
  lastScannedAt: Timestamp | null
  cancelledAt: Timestamp | null
  rejectedAt: Timestamp | null
  rejectedBy: string | null
  rejectionReason: string | null
  /** The allergy warnings the prescriber overrode, with the reason (migration 0011); null when none. */
  prescriberWarnings: Json<PrescriberWarnings> | null
  updatedAt: Timestamp
}

/** One allergy warning shown to the prescriber: the item's position on the prescription and the allergy. */
export interface PrescriberWarning {
  code: 'allergy'
  message: string
  itemIndex: number
  substance: string
}

/** What the prescriber was warned of when issuing, and why they prescribed anyway (SPEC §4.9). */
export interface PrescriberWarnings {
  reason: string
  warnings: PrescriberWarning[]
}

/** A warning the pharmacist acknowledged before dispensing (SPEC §4.9). */
export interface AcknowledgedWarning {
  code: string
  message: string
}

export interface PrescriptionItemsTable {
  id: Generated<string>
  prescriptionId: string
  position: number
  medicineName: string
  dosage: string
  frequency: string
  quantity: number
  durationDays: number | null
  instructions: string | null
  dispensedQuantity: Generated<number>
}

/** A scan or reference lookup of a prescription by a pharmacist (SPEC §4.9). */
export interface PrescriptionScansTable {
  id: Generated<string>
  prescriptionId: string
  pharmacistId: string
  method: 'qr' | 'reference'
  scannedAt: Timestamp
}

export interface DispensationsTable {
  id: Generated<string>
  prescriptionId: string
  pharmacistId: string
  dispensedAt: Timestamp
  notes: string | null
  /** The warnings acknowledged with this dispensation (migration 0011); null when there were none. */
  acknowledgedWarnings: Json<AcknowledgedWarning[]> | null
}

export interface DispensationItemsTable {
  dispensationId: string
  itemId: string
  quantity: number
  batchNumber: string
  expiryDate: CalendarDate | null
  unitPrice: number | null
}

export interface DB {
  prescriptions: PrescriptionsTable
  prescriptionItems: PrescriptionItemsTable
  prescriptionScans: PrescriptionScansTable
  dispensations: DispensationsTable
  dispensationItems: DispensationItemsTable
  passwordResetCodes: PasswordResetCodesTable
  emergencyAccess: EmergencyAccessTable
  emergencyRotatedTokens: EmergencyRotatedTokensTable
  emergencyAlertRounds: EmergencyAlertRoundsTable
  alertSmsSends: AlertSmsSendsTable
  shareLinks: ShareLinksTable
  users: UsersTable
  sessions: SessionsTable
  refreshTokens: RefreshTokensTable
  patientProfiles: PatientProfilesTable
  records: RecordsTable
  vitals: VitalsTable
  labResults: LabResultsTable
  patientExports: PatientExportsTable
  smartHealthLinks: SmartHealthLinksTable
  smartHealthLinkFiles: SmartHealthLinkFilesTable
  smartHealthLinkLocations: SmartHealthLinkLocationsTable
  smartHealthLinkAccesses: SmartHealthLinkAccessesTable
  fhirImportedResources: FhirImportedResourcesTable
  consultations: ConsultationsTable
  notes: NotesTable
  auditEvents: AuditEventsTable
  auditTreeNodes: AuditTreeNodesTable
  auditTreeHeads: AuditTreeHeadsTable
  setupTokens: SetupTokensTable
  emailVerifications: EmailVerificationsTable
  totpFactors: TotpFactorsTable
  recoveryCodes: RecoveryCodesTable
  mfaChallenges: MfaChallengesTable
  passkeys: PasskeysTable
  webauthnChallenges: WebauthnChallengesTable
  oidcLogins: OidcLoginsTable
  oidcIdentities: OidcIdentitiesTable
  knownBrowsers: KnownBrowsersTable
  organizations: OrganizationsTable
  doctorSchedules: DoctorSchedulesTable
  scheduleExceptions: ScheduleExceptionsTable
  appointments: AppointmentsTable
  encounters: EncountersTable
  caregivers: CaregiversTable
  notifications: NotificationsTable
  notificationStreamTickets: NotificationStreamTicketsTable
}

/** Care coordination (SPEC §10, migration 0021). */
export type OrganizationType = 'hospital' | 'clinic' | 'pharmacy' | 'laboratory'

/** An admin-managed hospital, clinic, pharmacy or laboratory. */
export interface OrganizationsTable {
  id: Generated<string>
  name: string
  type: OrganizationType
  address: string | null
  phone: string | null
  createdAt: Timestamp
  updatedAt: Timestamp
}

/** One weekly availability window, in the schedule's time zone: ISO weekday (Monday = 1) and wall-clock `HH:MM`. */
export interface WeeklyAvailability {
  weekday: 1 | 2 | 3 | 4 | 5 | 6 | 7
  start: string
  end: string
}

/** A doctor's weekly availability (FHIR Schedule). */
export interface DoctorSchedulesTable {
  doctorId: string
  /** IANA time zone name (`Europe/Paris`). */
  timeZone: string
  slotMinutes: number
  weekly: Json<WeeklyAvailability[]>
  updatedAt: Timestamp
}

/** A span when a doctor is away: no slots overlap it. */
export interface ScheduleExceptionsTable {
  id: Generated<string>
  doctorId: string
  startsAt: Timestamp
  endsAt: Timestamp
  reason: string | null
  createdAt: Timestamp
}

export type AppointmentStatus = 'booked' | 'cancelled' | 'completed' | 'noshow'

/** A booking of one slot (FHIR Appointment); one `booked` row per doctor and start (unique index). */
export interface AppointmentsTable {
  id: Generated<string>
  patientId: string
  doctorId: string
  startsAt: Timestamp
  endsAt: Timestamp
  status: AppointmentStatus
  reason: string | null
  /** Who booked: the patient, or a caregiver acting for them. */
  bookedBy: string | null
  cancelledBy: string | null
  cancelledAt: Timestamp | null
  /** iCalendar SEQUENCE of its `.ics` (migration 0023): 0 when booked, +1 on each reschedule or cancellation. */
  sequence: Generated<number>
  createdAt: Timestamp
  updatedAt: Timestamp
}

export type EncounterType = 'in_person' | 'video' | 'phone'

/** A diagnosis of a visit: free text, with a code (SNOMED CT, ICD-10) when known. */
export interface EncounterDiagnosis {
  code?: { system?: string; code: string; display?: string }
  text: string
}

/** A visit a doctor recorded (FHIR Encounter). */
export interface EncountersTable {
  id: Generated<string>
  patientId: string
  doctorId: string
  appointmentId: string | null
  startsAt: Timestamp
  endsAt: Timestamp | null
  type: EncounterType
  reason: string | null
  diagnoses: Json<EncounterDiagnosis[]>
  summary: string | null
  createdAt: Timestamp
}

export type CaregiverAccess = 'read' | 'manage'
export type CaregiverStatus = 'invited' | 'active' | 'revoked'

/** An invitation to act on a patient's locker, and the grant it becomes on acceptance. */
export interface CaregiversTable {
  id: Generated<string>
  patientId: string
  /** The accepting account; null while invited (and for an invitation revoked before acceptance). */
  caregiverId: string | null
  /** The address the invitation was sent to. */
  email: string
  access: CaregiverAccess
  status: CaregiverStatus
  /** SHA-256 (hex) of the emailed invitation token; null for a dependent's creator. */
  invitationTokenHash: string | null
  invitationExpiresAt: Timestamp | null
  /** When an active grant ends; null: until revoked. */
  expiresAt: Timestamp | null
  invitedBy: string | null
  createdAt: Timestamp
  acceptedAt: Timestamp | null
  revokedAt: Timestamp | null
}

/** An in-app notification of one user; inserting one wakes that user's live streams on every node. */
export interface NotificationsTable {
  id: Generated<string>
  userId: string
  /** `appointment.booked`, `consultation.approved`, … (SPEC §10 events). */
  type: string
  patientId: string | null
  resourceType: string | null
  resourceId: string | null
  data: ColumnType<Record<string, unknown>, string | undefined, string>
  createdAt: Timestamp
  readAt: Timestamp | null
}

/** A short-lived single-use ticket for `GET /notifications/stream`: its SHA-256 only. */
export interface NotificationStreamTicketsTable {
  ticketHash: string
  userId: string
  sessionId: string
  expiresAt: Timestamp
  usedAt: Timestamp | null
}

export type UserRow = Selectable<UsersTable>
export type NewUser = Insertable<UsersTable>
export type RecordRow = Selectable<RecordsTable>
export type RecordUpdate = Updateable<RecordsTable>
export type ProfileRow = Selectable<PatientProfilesTable>
export type VitalRow = Selectable<VitalsTable>
export type AuditEventRow = Selectable<AuditEventsTable>
export type ShareLinkRow = Selectable<ShareLinksTable>
export type PrescriptionRow = Selectable<PrescriptionsTable>
export type PrescriptionItemRow = Selectable<PrescriptionItemsTable>
