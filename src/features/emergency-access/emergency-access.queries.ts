/** SQL of emergency access. No business rules here (STYLE §2). */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import { allColumns, qualified } from '../../db/columns.js'
import { precompiled } from '../../db/connection.js'
import { cacheTags, forgetLocally, readThrough } from '../../db/node-cache.js'
import type { DB, EmergencyAccessTable } from '../../db/schema.js'
import { withinAlertCooldown } from './alert-cooldown.js'

type Db = Kysely<DB> | Transaction<DB>

const DAY_MS = 24 * 60 * 60_000

export function findEmergencyAccess(db: Db, patientId: string) {
  return db.selectFrom('emergencyAccess').selectAll().where('patientId', '=', patientId).executeTakeFirst()
}

/** Creates the patient's row unless one exists; returns the row that is now there. */
export async function insertEmergencyAccessIfMissing(db: Db, row: Omit<Selectable<EmergencyAccessTable>, 'lastAlertAt'>) {
  await db.insertInto('emergencyAccess').values(row).onConflict((oc) => oc.column('patientId').doNothing()).execute()
  forgetLocally([cacheTags.emergency(row.patientId)])
  return db.selectFrom('emergencyAccess').selectAll().where('patientId', '=', row.patientId).executeTakeFirstOrThrow()
}

/** Replaces the live token, remembering the old hash so it answers 410. */
export async function rotateEmergencyToken(db: Db, patientId: string, next: { tokenHash: string; salt: string }, now: Date) {
  const current = await db.selectFrom('emergencyAccess').selectAll().where('patientId', '=', patientId).forUpdate().executeTakeFirst()
  if (current) {
    await db.insertInto('emergencyRotatedTokens').values({ tokenHash: current.tokenHash, patientId, rotatedAt: now }).onConflict((oc) => oc.doNothing()).execute()
  }
  const rotated = await db
    .insertInto('emergencyAccess')
    .values({ patientId, tokenHash: next.tokenHash, salt: next.salt, createdAt: now })
    .onConflict((oc) => oc.column('patientId').doUpdateSet({ tokenHash: next.tokenHash, salt: next.salt, createdAt: now }))
    .returningAll()
    .executeTakeFirstOrThrow()
  forgetLocally([cacheTags.emergency(patientId)])
  return rotated
}

const EMERGENCY_ACCESS_COLUMNS = allColumns<EmergencyAccessTable>()(['patientId', 'tokenHash', 'salt', 'createdAt', 'lastAlertAt'])

/** The link lookup, compiled once: it opens every emergency access (SPEC §7). */
const linkQuery = precompiled((db, p: { tokenHash: string }) =>
  db
    .selectFrom('emergencyAccess')
    .innerJoin('users', 'users.id', 'emergencyAccess.patientId')
    .select(qualified('emergencyAccess', EMERGENCY_ACCESS_COLUMNS))
    .select('users.status as patientStatus')
    .where('emergencyAccess.tokenHash', '=', p.tokenHash),
)

/** The live link of a token hash, with its patient's account status. */
export async function findByTokenHash(db: Db, tokenHash: string) {
  // Node-cached (src/db/node-cache.ts): every emergency access starts here. The row carries the
  // patient's account status and the last alert round, so both tags drop it.
  return readThrough(
    db,
    `emergencyLink:${tokenHash}`,
    async () => (await linkQuery(db, { tokenHash }))[0],
    (link) => [cacheTags.emergency(link.patientId), cacheTags.user(link.patientId)],
  )
}

export function findRotatedTokenHash(db: Db, tokenHash: string) {
  return db.selectFrom('emergencyRotatedTokens').select('patientId').where('tokenHash', '=', tokenHash).executeTakeFirst()
}

/**
 * Claims an alert round for the patient (SPEC §4.6): succeeds only when the last round was
 * sent at least `cooldownMinutes` ago and fewer than `maxPerDay` rounds were sent in the 24
 * hours before `now`. On success the round is recorded. Call inside a transaction.
 *
 * The common case — a round was sent inside the cooldown — takes no lock: `last_alert_at`
 * only moves forward, so a committed value inside the window already proves no round is
 * due, whatever runs in parallel. Only when a round may be due is the patient's emergency
 * row locked (`FOR UPDATE`) and everything checked again under the lock, so parallel
 * accesses cannot both claim.
 */
export async function claimAlertRound(trx: Transaction<DB>, patientId: string, now: Date, limits: { cooldownMinutes: number; maxPerDay: number }): Promise<boolean> {
  const insideCooldown = (lastAlertAt: Date | null) => withinAlertCooldown(lastAlertAt, now, limits.cooldownMinutes)
  const seen = await trx.selectFrom('emergencyAccess').select('lastAlertAt').where('patientId', '=', patientId).executeTakeFirst()
  if (!seen || insideCooldown(seen.lastAlertAt)) return false
  const row = await trx.selectFrom('emergencyAccess').select('lastAlertAt').where('patientId', '=', patientId).forUpdate().executeTakeFirst()
  if (!row || insideCooldown(row.lastAlertAt)) return false
  const { sent } = await trx
    .selectFrom('emergencyAlertRounds')
    .select((eb) => eb.fn.countAll<string>().as('sent'))
    .where('patientId', '=', patientId)
    .where('sentAt', '>', new Date(now.getTime() - DAY_MS))
    .executeTakeFirstOrThrow()
  if (Number(sent) >= limits.maxPerDay) return false
  await trx.updateTable('emergencyAccess').set({ lastAlertAt: now }).where('patientId', '=', patientId).execute()
  forgetLocally([cacheTags.emergency(patientId)])
  await trx.insertInto('emergencyAlertRounds').values({ patientId, sentAt: now }).execute()
  return true
}

/**
 * Claims one alert SMS to a destination (SPEC §4.6: at most `maxPerDay` per number per 24
 * hours, whichever patients list it), serialised per destination by a transaction-level
 * advisory lock so parallel alerts of different patients cannot both pass. Lock several
 * destinations in a stable order (sorted hashes) to avoid deadlocks. Call inside a transaction.
 */
export async function claimAlertSms(trx: Transaction<DB>, destinationHash: string, patientId: string, now: Date, maxPerDay: number): Promise<boolean> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`carelocker/alert-sms|${destinationHash}`}, 0))`.execute(trx)
  const { sent } = await trx
    .selectFrom('alertSmsSends')
    .select((eb) => eb.fn.countAll<string>().as('sent'))
    .where('destinationHash', '=', destinationHash)
    .where('sentAt', '>', new Date(now.getTime() - DAY_MS))
    .executeTakeFirstOrThrow()
  if (Number(sent) >= maxPerDay) return false
  await trx.insertInto('alertSmsSends').values({ destinationHash, patientId, sentAt: now }).execute()
  return true
}
