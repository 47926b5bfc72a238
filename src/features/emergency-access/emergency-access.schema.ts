/** Emergency-access schemas (SPEC §4.6) and mappers. */
import { z } from 'zod'
import { toInstant } from '../../app/schemas.js'
import { MedicalRecord } from '../records/records.schema.js'
import { Profile, toProfileDto } from '../profile/profile.schema.js'
import type { EmergencyLink, EmergencyView } from './emergency-access.service.js'

export const EmergencyLinkDto = z.object({ url: z.string(), token: z.string(), createdAt: z.string() })

export const toEmergencyLinkDto = (l: EmergencyLink) => ({ url: l.url, token: l.token, createdAt: toInstant(l.createdAt) })

export const EmergencyPatient = Profile.pick({
  fullName: true,
  age: true,
  dateOfBirth: true,
  sex: true,
  bloodGroup: true,
  allergies: true,
  conditions: true,
  medications: true,
  emergencyContacts: true,
  organDonor: true,
})

export const EmergencyViewDto = z.object({
  patient: EmergencyPatient,
  records: z.array(MedicalRecord.extend({ contentUrl: z.string() })),
  generatedAt: z.string(),
})
export type EmergencyViewBody = z.infer<typeof EmergencyViewDto>

/** Service view → the public JSON body (SPEC §4.6). */
export function toEmergencyViewDto(v: EmergencyView): EmergencyViewBody {
  const p = toProfileDto(v.profile, v.generatedAt)
  return {
    patient: {
      fullName: p.fullName,
      age: p.age,
      dateOfBirth: p.dateOfBirth,
      sex: p.sex,
      bloodGroup: p.bloodGroup,
      allergies: p.allergies,
      conditions: p.conditions,
      medications: p.medications,
      emergencyContacts: p.emergencyContacts,
      organDonor: p.organDonor,
    },
    records: v.records.map((r) => ({ ...r, contentUrl: `${v.contentBase}/${r.id}/content` })),
    generatedAt: toInstant(v.generatedAt),
  }
}
