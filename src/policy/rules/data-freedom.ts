/**
 * Rules for taking one's data and going (SPEC §9 "Take your data and go", SPEC §3: the
 * account is the patient's own business). Only the patient requests, reads and downloads
 * their exports and erases their locker — no doctor, caregiver or admin; the system actor
 * (a job) builds an export the patient asked for, while it is pending.
 */
import { isActiveRole, type Actor } from '../actor.js'
import type { PatientScope } from './patient-data.js'

/** An export being built: whose it is and its state (SPEC §9). */
export interface ExportBuildTarget {
  patientId: string
  status: 'pending' | 'ready' | 'failed'
}

const isOwner = (a: Actor, r: PatientScope) => isActiveRole(a, 'patient') && a.id === r.patientId

export const dataFreedomRules = {
  'export.request': isOwner,
  'export.read': isOwner,
  'locker.erase': isOwner,
  'export.build': (a: Actor, r: ExportBuildTarget) => a.kind === 'system' && r.status === 'pending',
} satisfies Record<string, (a: Actor, r: never) => boolean>
