/**
 * A consistent backup of a running locker (SPEC §11), as framed archive entries (archive.ts):
 *
 * 1. `manifest.json` — format, time, engine, applied migrations, tables in dependency order;
 * 2. `table/<name>` — every row as one JSON line (`row_to_json`: PostgreSQL writes each type,
 *    restore reads it back with `json_populate_recordset`, so bytea, jsonb, arrays and
 *    timestamps round-trip exactly on both engines), all read in ONE `REPEATABLE READ`
 *    read-only transaction, i.e. one snapshot, with a cursor (memory stays flat);
 * 3. `sequences.json` — each sequence's value (never behind the snapshot's rows);
 * 4. `blob/<key>` — the stored (still encrypted) bytes of exactly the live records of the
 *    snapshot, copied after it: blobs never change once written, so a later copy is the
 *    same bytes;
 * 5. `shredded.json` — records of the snapshot deleted before their blob was copied: their
 *    data key is destroyed and their blob gone (crypto-shredding, SPEC §4.3), so restore
 *    marks them deleted, as the patient asked, instead of pointing to a missing blob.
 *
 * Blobs of no live record (deleted records, uploads in flight, orphans) are not copied.
 */
import { Readable, type Writable } from 'node:stream'
import { sql, type Kysely } from 'kysely'
import type { Engine } from '../db/connection.js'
import { BlobNotFoundError, type BlobStore } from '../storage/blob-store.js'
import { ciphertextSize } from '../storage/segment-cipher.js'
import { EntryWriter } from './archive.js'
import { appliedMigrations, sequenceValues, tablesInDependencyOrder } from './tables.js'

/** The archive's first entry. */
export interface Manifest {
  format: 1
  createdAt: string
  engine: Engine
  migrations: string[]
  tables: string[]
}

export interface BackupSummary {
  /** Rows per table. */
  rows: Record<string, number>
  blobs: number
  /** Stored (encrypted) bytes of the blobs copied. */
  blobBytes: number
  /** Records deleted between the snapshot and the copy of their blob. */
  shredded: number
}

/** A record of the snapshot has no blob and was not deleted since: storage lost a file. */
export class MissingBlobError extends Error {
  constructor(recordId: string) {
    super(`Record ${recordId} is live but its file is missing from storage; the backup stops rather than save a record that cannot be read.`)
    this.name = 'MissingBlobError'
  }
}

const FETCH_ROWS = 500

/**
 * Writes the framed entries above to `out` (plaintext: give it an archive encryptor or a
 * trusted local socket), then ends `out`. `db` is a Kysely without the camel-case plugin
 * (`database.db.withoutPlugins()`). Throws MissingBlobError as described, or whatever the
 * database, store or `out` throws; `out` is then left unfinished (no end marker).
 */
export async function writeBackup(opts: { db: Kysely<any>; engine: Engine; store: BlobStore; out: Writable; now: Date }): Promise<BackupSummary> {
  const { db, store } = opts
  const writer = new EntryWriter(opts.out)
  const rows: Record<string, number> = {}
  const live = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const tables = await tablesInDependencyOrder(trx)
      const manifest: Manifest = { format: 1, createdAt: opts.now.toISOString(), engine: opts.engine, migrations: await appliedMigrations(trx), tables }
      await writer.entry('manifest.json', Buffer.from(JSON.stringify(manifest)))
      for (const table of tables) {
        rows[table] = 0
        await writer.entry(`table/${table}`, tableLines(trx, table, () => (rows[table] = (rows[table] ?? 0) + 1)))
      }
      const found = await sql<{ id: string; blobKey: string; sizeBytes: string | number }>`
        SELECT id, blob_key AS "blobKey", size_bytes AS "sizeBytes" FROM records WHERE wrapped_key IS NOT NULL ORDER BY id`.execute(trx)
      return found.rows.map((r) => ({ id: r.id, blobKey: r.blobKey, sizeBytes: Number(r.sizeBytes) }))
    })
  // Read after the snapshot: never behind it, so restored sequences hand out unused values.
  await writer.entry('sequences.json', Buffer.from(JSON.stringify(await sequenceValues(db))))

  const shredded: { id: string; deletedAt: string }[] = []
  let blobBytes = 0
  let blobs = 0
  for (const record of live) {
    let stored: Readable
    try {
      stored = await store.get(record.blobKey)
    } catch (err) {
      if (!(err instanceof BlobNotFoundError)) throw err
      const now = await sql<{ deletedAt: Date | string }>`SELECT deleted_at AS "deletedAt" FROM records WHERE id = ${record.id} AND wrapped_key IS NULL`.execute(db)
      const gone = now.rows[0]
      if (!gone) throw new MissingBlobError(record.id)
      shredded.push({ id: record.id, deletedAt: new Date(gone.deletedAt).toISOString() })
      continue
    }
    const expected = ciphertextSize(record.sizeBytes)
    let copied = 0
    await writer.entry(
      `blob/${record.blobKey}`,
      (async function* () {
        for await (const chunk of stored as AsyncIterable<Buffer>) {
          copied += chunk.length
          yield chunk
        }
        if (copied !== expected) throw new Error(`Record ${record.id}'s stored file has ${copied} bytes, not ${expected}; the backup stops.`)
      })(),
    )
    blobs += 1
    blobBytes += copied
  }
  await writer.entry('shredded.json', Buffer.from(JSON.stringify(shredded)))
  await writer.end()
  await new Promise<void>((resolve, reject) => opts.out.end((err?: Error | null) => (err ? reject(err) : resolve())))
  return { rows, blobs, blobBytes, shredded: shredded.length }
}

/** A table's rows as JSON lines, read through a cursor inside the snapshot's transaction. */
async function* tableLines(trx: Kysely<any>, table: string, counted: () => void): AsyncGenerator<Buffer> {
  await sql`DECLARE carelocker_backup NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS j FROM ${sql.table(table)} t`.execute(trx)
  try {
    for (;;) {
      const batch = await sql<{ j: string }>`FETCH FORWARD ${sql.raw(String(FETCH_ROWS))} FROM carelocker_backup`.execute(trx)
      if (batch.rows.length === 0) break
      for (const _ of batch.rows) counted()
      yield Buffer.from(batch.rows.map((r) => `${r.j}\n`).join(''), 'utf8')
    }
  } finally {
    await sql`CLOSE carelocker_backup`.execute(trx)
  }
}
