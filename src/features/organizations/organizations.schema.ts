/** Schemas of organizations (SPEC §10) and the Organization mapper. */
import { z } from 'zod'
import { ListQuery, Uuid, singleLine, toInstant } from '../../app/schemas.js'
import type { OrganizationType } from '../../db/schema.js'

export const ORGANIZATION_TYPES = ['hospital', 'clinic', 'pharmacy', 'laboratory'] as const satisfies readonly OrganizationType[]
const OrganizationTypeSchema = z.enum(ORGANIZATION_TYPES)

const Name = singleLine(200).min(1)
/** Optional contact fields: text, or null to clear on PATCH. */
const Address = singleLine(500).min(1)
const Phone = singleLine(40).min(1)

export const CreateOrganizationBody = z.object({ name: Name, type: OrganizationTypeSchema, address: Address.optional(), phone: Phone.optional() }).strict()
export type CreateOrganizationInput = z.infer<typeof CreateOrganizationBody>

/** A partial change: the fields given; `address`/`phone` null clears them. At least one field. */
export const UpdateOrganizationBody = z
  .object({ name: Name.optional(), type: OrganizationTypeSchema.optional(), address: Address.nullable().optional(), phone: Phone.nullable().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Give at least one field to change.')
export type UpdateOrganizationInput = z.infer<typeof UpdateOrganizationBody>

export const OrganizationParams = z.object({ id: Uuid }).strict()
export const OrganizationListQuery = z.object({ q: singleLine(200).min(1).optional(), type: OrganizationTypeSchema.optional(), ...ListQuery }).strict()
export type OrganizationListInput = z.infer<typeof OrganizationListQuery>

/** `PUT /admin/users/{id}/organization`: the organization, or null to take the user out of theirs. */
export const UserOrganizationBody = z.object({ organizationId: Uuid.nullable() }).strict()

export const Organization = z.object({
  id: z.uuid(),
  name: z.string(),
  type: OrganizationTypeSchema,
  address: z.string().nullable(),
  phone: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type OrganizationDto = z.infer<typeof Organization>

/** organizations row → `Organization`. */
export function toOrganizationDto(o: { id: string; name: string; type: OrganizationType; address: string | null; phone: string | null; createdAt: Date; updatedAt: Date }): OrganizationDto {
  return { id: o.id, name: o.name, type: o.type, address: o.address, phone: o.phone, createdAt: toInstant(o.createdAt), updatedAt: toInstant(o.updatedAt) }
}
