/**
 * Every TanStack Query key of the web app, in one place. A key starts with its resource
 * and the patient it belongs to, then the query it asks, so invalidating a prefix
 * (`queryKeys.records(pid)`) refreshes every list of that resource after a change, and two
 * screens asking different questions (5 recent prescriptions, 50 active ones) never share
 * a cache entry.
 */
export const queryKeys = {
  profile: (pid: string) => ['profile', pid] as const,
  /** Prefix of every record query of a patient. */
  records: (pid: string) => ['records', pid] as const,
  recordList: (pid: string, query: object) => ['records', pid, query] as const,
  recordVerify: (pid: string, id: string) => ['records', pid, id, 'verify'] as const,
  /** An authenticated binary (record content, QR image); `version` changes when it does. */
  blob: (url: string | null, version?: unknown) => ['blob', url, version] as const,
  shares: ['shares'] as const,
  /** The patient's SMART Health Links (SPEC §9). */
  shl: ['shl'] as const,
  emergency: ['emergency'] as const,
  /** Prefix of every vital query of a patient. */
  vitals: (pid: string) => ['vitals', pid] as const,
  vitalList: (pid: string, query: object) => ['vitals', pid, 'list', query] as const,
  vitalTrends: (pid: string, query: object) => ['vitals', pid, 'trends', query] as const,
  /** Prefix of every lab-result query of a patient. */
  labs: (pid: string) => ['labs', pid] as const,
  labList: (pid: string, query: object) => ['labs', pid, 'list', query] as const,
  labTrend: (pid: string, code: string) => ['labs', pid, 'trend', code] as const,
  summary: (pid: string) => ['summary', pid] as const,
  notes: (pid: string) => ['notes', pid] as const,
  /** Prefix of a patient's visits (SPEC §10): the list and each visit. */
  encounters: (pid: string) => ['encounters', pid] as const,
  encounter: (pid: string, id: string) => ['encounters', pid, id] as const,
  organizations: (query: object) => ['organizations', query] as const,
  audit: (query: object) => ['audit', query] as const,
  auditRecord: (id: string) => ['audit', 'record', id] as const,
  /** Prefix of every consultation list. */
  consultations: ['consultations'] as const,
  consultationList: (query: object) => ['consultations', query] as const,
  doctors: (query: object) => ['doctors', query] as const,
  doctorPatients: ['doctor-patients'] as const,
  /** Prefix of every appointment list (SPEC §10): one invalidation refreshes the patient's list and the calendar. */
  appointments: ['appointments'] as const,
  appointmentList: (pid: string, query: object) => ['appointments', pid, query] as const,
  /** The signed-in doctor's availability and, under it, their time away. */
  availability: ['doctor-availability'] as const,
  availabilityExceptions: ['doctor-availability', 'exceptions'] as const,
  /** Prefix of every free-slot query (a booking, a cancellation or a schedule change alters them). */
  slots: ['slots'] as const,
  slotRange: (doctorId: string, from: string, to: string) => ['slots', doctorId, from, to] as const,
  /** Prefix of every prescription list. */
  prescriptions: ['prescriptions'] as const,
  prescriptionList: (query: object) => ['prescriptions', query] as const,
  pharmacyHistory: (query: object) => ['pharmacy-history', query] as const,
  /** Prefix of every user list of the admin. */
  adminUsers: ['admin-users'] as const,
  adminUserList: (query: object) => ['admin-users', query] as const,
  adminJobs: ['admin-jobs'] as const,
  adminSettings: ['admin-settings'] as const,
  /** Whether sign-in with an OpenID Connect provider is offered (public). */
  oidc: ['oidc'] as const,
  /** The signed-in account's sessions (Security page). */
  sessions: ['sessions'] as const,
  /** The account's two-factor (TOTP) state. */
  totp: ['account', 'totp'] as const,
  /** Prefix of the signed-in account's in-app notifications (SPEC §10): the bell's count and list. */
  notifications: ['notifications'] as const,
  notificationCount: ['notifications', 'unread-count'] as const,
  notificationList: ['notifications', 'list'] as const,
}
