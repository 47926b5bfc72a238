/** Request and response schemas of accounts and sessions (SPEC §4.1), and the User mapper. */
import { z } from 'zod'
import { Uuid, singleLine, toInstant } from '../../app/schemas.js'
import type { UserRow } from '../../db/schema.js'

export const Email = z.email().max(254).transform((v) => v.trim().toLowerCase())
/** SPEC §4.1: 10–128 characters. */
export const Password = z.string().min(10, 'Use at least 10 characters.').max(128, 'Use at most 128 characters.')
const Name = singleLine(200).min(1)

export const RegisterBody = z
  .object({
    email: Email,
    password: Password,
    role: z.enum(['patient', 'doctor', 'pharmacist']),
    name: Name,
    specialty: singleLine(200).min(1).optional(),
    licenseNumber: singleLine(100).min(1).optional(),
    organizationId: Uuid.optional().describe('A doctor\'s or pharmacist\'s organization (`GET /organizations`); unknown → 400 (SPEC §10).'),
    pharmacyName: singleLine(200).min(1).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const need = (field: 'specialty' | 'licenseNumber' | 'pharmacyName') => {
      if (!b[field]) ctx.addIssue({ code: 'custom', path: [field], message: `Required for a ${b.role}.` })
    }
    if (b.role === 'doctor') {
      need('specialty')
      need('licenseNumber')
    }
    if (b.role === 'pharmacist') {
      need('pharmacyName')
      need('licenseNumber')
    }
    if (b.role === 'patient' && b.organizationId !== undefined) ctx.addIssue({ code: 'custom', path: ['organizationId'], message: 'Only doctors and pharmacists belong to an organization.' })
  })
export type RegisterInput = z.infer<typeof RegisterBody>

export const LoginBody = z.object({ email: Email, password: z.string().min(1).max(128) }).strict()
export const RefreshBody = z.object({ refreshToken: z.string().min(1).max(200) }).strict()
export const ChangePasswordBody = z.object({ currentPassword: z.string().min(1).max(128), newPassword: Password }).strict()

/** The organization a doctor or pharmacist belongs to (SPEC §10). */
export const OrganizationRef = z.object({ id: z.uuid(), name: z.string() })

export const User = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(['patient', 'doctor', 'pharmacist', 'admin']),
  status: z.enum(['active', 'pending', 'disabled']),
  name: z.string(),
  createdAt: z.string(),
  /** SPEC §8: until it is, no email but the verification link goes to the address. */
  emailVerified: z.boolean(),
  doctor: z.object({ specialty: z.string(), licenseNumber: z.string(), organization: OrganizationRef.optional() }).optional(),
  pharmacist: z.object({ pharmacyName: z.string(), licenseNumber: z.string(), organization: OrganizationRef.optional() }).optional(),
})
export type UserDto = z.infer<typeof User>

export const TokenPair = z.object({
  user: User,
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
})

/** `{organization: {id, name}}` when the account belongs to one (the name is copied on the account, see organizations.service.ts), else nothing. */
const organizationOf = (u: UserRow) => (u.organizationId && u.organization ? { organization: { id: u.organizationId, name: u.organization } } : {})

/** users row → `User` (SPEC §4.1, §10). */
export function toUserDto(u: UserRow): UserDto {
  const dto: UserDto = { id: u.id, email: u.email, role: u.role, status: u.status, name: u.name, createdAt: toInstant(u.createdAt), emailVerified: u.emailVerifiedAt !== null }
  if (u.role === 'doctor') {
    dto.doctor = { specialty: u.specialty ?? '', licenseNumber: u.licenseNumber ?? '', ...organizationOf(u) }
  }
  if (u.role === 'pharmacist') dto.pharmacist = { pharmacyName: u.pharmacyName ?? '', licenseNumber: u.licenseNumber ?? '', ...organizationOf(u) }
  return dto
}
