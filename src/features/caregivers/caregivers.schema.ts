/** Caregiver and dependent schemas (SPEC §10 "Caregivers") and row → DTO mappers. */
import { z } from 'zod'
import { CalendarDate, ListQuery, Page, singleLine, toInstant, Uuid } from '../../app/schemas.js'
import type { CaregiverAccess, CaregiversTable } from '../../db/schema.js'
import type { Selectable } from 'kysely'
import { Email } from '../accounts/accounts.schema.js'

/** How long an emailed invitation can be accepted (SPEC §10). */
export const INVITATION_DAYS = 7

export const Access = z.enum(['read', 'manage']).describe('`read`: profile, records, vitals, labs, prescriptions, visits, appointments; `manage`: also writes them and manages share links')

export const InviteCaregiverBody = z
  .object({
    email: Email,
    access: Access,
    expiresAt: z.iso.datetime({ offset: true }).optional().describe('When the grant ends (an instant in the future); absent: until revoked'),
  })
  .strict()
export type InviteCaregiverInput = z.infer<typeof InviteCaregiverBody>

/**
 * `invited` (waiting for acceptance), `active`, `revoked`, or `expired` (an invitation not
 * accepted within 7 days, or a grant past its `expiresAt`).
 */
export const CaregiverStatus = z.enum(['invited', 'active', 'revoked', 'expired'])

export const Caregiver = z.object({
  id: z.uuid(),
  email: z.string(),
  access: Access,
  status: CaregiverStatus,
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  caregiver: z.object({ id: z.uuid(), name: z.string() }).optional().describe('The accepting account, once accepted'),
})
export type CaregiverDto = z.infer<typeof Caregiver>
export const CaregiverPage = Page(Caregiver)
export const CaregiverListQuery = z.object(ListQuery).strict()
export const CaregiverParams = z.object({ id: Uuid }).strict()
export const InvitationParams = z.object({ token: z.string().min(16).max(128) }).strict()

/** A locker one can act on (`GET /me/patients`). */
export const ManagedPatient = z.object({
  patientId: z.uuid(),
  name: z.string(),
  access: Access,
  isDependent: z.boolean(),
  expiresAt: z.string().nullable(),
})
export type ManagedPatientDto = z.infer<typeof ManagedPatient>
export const ManagedPatientList = z.object({ items: z.array(ManagedPatient) })

export const CreateDependentBody = z.object({ fullName: singleLine(200).min(1), dateOfBirth: CalendarDate }).strict()
export type CreateDependentInput = z.infer<typeof CreateDependentBody>

/** The new dependent: a locker its creator manages. */
export const Dependent = ManagedPatient.extend({ dateOfBirth: z.string() })

type CaregiverRow = Selectable<CaregiversTable> & { caregiverName?: string | null }

/** The status a row shows at `now`: expiry is judged, not stored. */
export function caregiverStatus(row: CaregiverRow, now: Date): z.infer<typeof CaregiverStatus> {
  if (row.status === 'revoked') return 'revoked'
  if (row.status === 'invited') return row.invitationExpiresAt && row.invitationExpiresAt > now ? 'invited' : 'expired'
  return row.expiresAt && row.expiresAt <= now ? 'expired' : 'active'
}

export function toCaregiverDto(row: CaregiverRow, now: Date): CaregiverDto {
  return {
    id: row.id,
    email: row.email,
    access: row.access,
    status: caregiverStatus(row, now),
    expiresAt: row.expiresAt ? toInstant(row.expiresAt) : null,
    createdAt: toInstant(row.createdAt),
    ...(row.caregiverId && row.caregiverName != null ? { caregiver: { id: row.caregiverId, name: row.caregiverName } } : {}),
  }
}

export function toManagedPatientDto(r: { patientId: string; name: string; access: CaregiverAccess; isDependent: boolean; expiresAt: Date | null }): ManagedPatientDto {
  return { patientId: r.patientId, name: r.name, access: r.access, isDependent: r.isDependent, expiresAt: r.expiresAt ? toInstant(r.expiresAt) : null }
}
