/**
 * The doctor directory (SPEC §4.8): how a patient finds a doctor to ask for a consultation.
 * Lists verified, active doctors only — pending and disabled ones never appear — with
 * professional details only.
 */
import type { Kysely, Transaction } from 'kysely'
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { CursorId, decodeCursor, toPage } from '../../db/keyset.js'
import type { DB } from '../../db/schema.js'
import { authorize, type UserActor } from '../../policy/index.js'
import * as q from './doctors.queries.js'
import { toDirectoryDoctorDto, type DirectoryDoctorDto, type DirectoryInput } from './doctors.schema.js'

/** The directory's sort key `[lower(name), id]`; text with a NUL byte is no name PostgreSQL can hold. */
const DirectoryCursor = z.tuple([z.string().min(1).refine((v) => !v.includes('\u0000')), CursorId])

/**
 * `GET /doctors?q&specialty&organizationId&limit&cursor` → `{items: [{id, name, specialty, organization?: {id, name}}], nextCursor}`
 * in case-insensitive name order. `q` matches name or specialty (case-insensitive substring,
 * `%`/`_` literal); `specialty` is a case-insensitive substring of the specialty (`cardio`
 * finds "Cardiology"), also literal. Any verified account may
 * search ('doctor.search'). 400 for a bad cursor.
 */
export async function searchDoctors(deps: Deps, actor: UserActor, query: DirectoryInput): Promise<{ items: DirectoryDoctorDto[]; nextCursor: string | null }> {
  authorize(actor, 'doctor.search', { userId: actor.id })
  const cursor = query.cursor ? decodeCursor(query.cursor, DirectoryCursor) : undefined
  const after = cursor && { nameKey: cursor[0], id: cursor[1] }
  const rows = await q.listActiveDoctors(deps.db, { q: query.q, specialty: query.specialty, organizationId: query.organizationId, after, limit: query.limit + 1 })
  return toPage(rows, query.limit, (r) => [r.nameKey, r.id], toDirectoryDoctorDto)
}

/**
 * A verified (active) doctor by id, `{id, name, specialty, organization}`, or undefined for
 * anyone else (unknown, pending, disabled, not a doctor). For consultations (SPEC §4.8).
 */
export function findVerifiedDoctor(db: Kysely<DB> | Transaction<DB>, id: string) {
  return q.findActiveDoctor(db, id)
}
