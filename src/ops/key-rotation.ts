/**
 * Master key rotation (SPEC §11): re-wraps every data key under the new master key —
 * `records.wrapped_key` (a NULL one was crypto-shredded by a delete) — and re-seals every
 * TOTP secret (`totp_factors.secret_ciphertext`, SPEC §8; its unreadable ones are reported
 * as `totp:<user id>`).
 *
 * Resumable without bookkeeping: a row whose wrapped key opens under the new key is done
 * (GCM authentication tells which key wrapped it), so a run that was stopped — killed, or
 * `limit` reached — is simply run again and continues. No downtime: the servers run with
 * the new key as MASTER_KEY and the old one in MASTER_KEY_PREVIOUS meanwhile, reading
 * either. Each re-wrap is one conditional UPDATE (`WHERE wrapped_key = <what was read>`),
 * so a record deleted meanwhile stays deleted; files are never touched, only their keys.
 */
import { sql, type Kysely } from 'kysely'
import { IntegrityError } from '../storage/segment-cipher.js'
import { unwrapDataKey, unwrapDataKeyWithAny, wrapDataKey } from '../storage/envelope.js'
import { openTotpSecret, sealTotpSecret } from '../features/mfa/totp-secret.js'

export interface RotationProgress {
  /** Live records and TOTP secrets looked at. */
  scanned: number
  /** Re-wrapped by this run. */
  rewrapped: number
  /** Already under the new key (an earlier run, or written after the servers switched keys). */
  alreadyCurrent: number
  /** Opened by none of the keys given: left as they are, reported (their files cannot be read). */
  unreadable: string[]
  /** False when `limit` stopped the run early; run it again to continue. */
  finished: boolean
}

/**
 * Re-wraps, under `newKey`, each live record's data key (then re-seals each TOTP secret) that opens under one of `oldKeys`,
 * `batchSize` rows per read (keyset by id), stopping after `limit` re-wraps when given.
 * `db` is a Kysely without the camel-case plugin. Throws RangeError on a key of the wrong size.
 */
export async function rotateMasterKey(
  db: Kysely<any>,
  opts: { newKey: Buffer; oldKeys: readonly Buffer[]; batchSize?: number; limit?: number; onBatch?: (p: RotationProgress) => void },
): Promise<RotationProgress> {
  const batchSize = opts.batchSize ?? 200
  const oldKeys = opts.oldKeys.filter((k) => !k.equals(opts.newKey))
  const progress: RotationProgress = { scanned: 0, rewrapped: 0, alreadyCurrent: 0, unreadable: [], finished: false }
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const batch = await sql<{ id: string; wrappedKey: Buffer | Uint8Array }>`
      SELECT id, wrapped_key AS "wrappedKey" FROM records
      WHERE wrapped_key IS NOT NULL AND id > ${after}::uuid ORDER BY id LIMIT ${batchSize}`.execute(db)
    if (batch.rows.length === 0) break
    for (const row of batch.rows) {
      after = row.id
      progress.scanned += 1
      const wrapped = Buffer.from(row.wrappedKey)
      if (opensUnder(opts.newKey, wrapped)) {
        progress.alreadyCurrent += 1
        continue
      }
      if (opts.limit !== undefined && progress.rewrapped >= opts.limit) return progress
      let dataKey: Buffer
      try {
        dataKey = unwrapDataKeyWithAny(oldKeys, wrapped)
      } catch (err) {
        if (!(err instanceof IntegrityError)) throw err
        progress.unreadable.push(row.id)
        continue
      }
      const rewrapped = wrapDataKey(opts.newKey, dataKey)
      dataKey.fill(0)
      const updated = await sql`UPDATE records SET wrapped_key = ${rewrapped} WHERE id = ${row.id}::uuid AND wrapped_key = ${wrapped}`.execute(db)
      if (Number(updated.numAffectedRows ?? 0) > 0) progress.rewrapped += 1
    }
    opts.onBatch?.(progress)
  }
  if (!(await resealTotpSecrets(db, opts.newKey, oldKeys, batchSize, opts.limit, progress))) return progress
  progress.finished = true
  return progress
}

/** The TOTP pass of `rotateMasterKey`, counted in the same `progress`; false when `limit` stopped it. */
async function resealTotpSecrets(db: Kysely<any>, newKey: Buffer, oldKeys: readonly Buffer[], batchSize: number, limit: number | undefined, progress: RotationProgress): Promise<boolean> {
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const batch = await sql<{ userId: string; sealed: string }>`
      SELECT user_id AS "userId", secret_ciphertext AS "sealed" FROM totp_factors
      WHERE user_id > ${after}::uuid ORDER BY user_id LIMIT ${batchSize}`.execute(db)
    if (batch.rows.length === 0) return true
    for (const row of batch.rows) {
      after = row.userId
      progress.scanned += 1
      let opened: { base32: string; current: boolean }
      try {
        opened = openTotpSecret([newKey, ...oldKeys], row.userId, row.sealed)
      } catch {
        progress.unreadable.push(`totp:${row.userId}`)
        continue
      }
      if (opened.current) {
        progress.alreadyCurrent += 1
        continue
      }
      if (limit !== undefined && progress.rewrapped >= limit) return false
      const resealed = sealTotpSecret(newKey, row.userId, opened.base32)
      const updated = await sql`UPDATE totp_factors SET secret_ciphertext = ${resealed} WHERE user_id = ${row.userId}::uuid AND secret_ciphertext = ${row.sealed}`.execute(db)
      if (Number(updated.numAffectedRows ?? 0) > 0) progress.rewrapped += 1
    }
  }
}

function opensUnder(key: Buffer, wrapped: Buffer): boolean {
  try {
    unwrapDataKey(key, wrapped).fill(0)
    return true
  } catch (err) {
    if (err instanceof IntegrityError) return false
    throw err
  }
}
