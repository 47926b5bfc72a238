/**
 * Restores a backup archive (backup.ts) into an EMPTY database and storage (SPEC §11).
 *
 * Two passes over the file: the first decrypts everything (every segment's tag checked),
 * checks the framing and the manifest, and that the records' data keys open under this
 * server's master key(s) — so a wrong key, a tampered or cut-short archive is refused
 * before anything is written. The second inserts every table in dependency order, sets the
 * sequences and writes the blobs, in one database transaction; on any failure the
 * transaction rolls back and the blobs written so far are removed.
 */
import { Readable } from 'node:stream'
import { sql, type Kysely } from 'kysely'
import type { BlobStore } from '../storage/blob-store.js'
import { unwrapDataKeyWithAny } from '../storage/envelope.js'
import { ArchiveError, openArchive, readAll, readEntries, readLines } from './archive.js'
import type { Manifest } from './backup.js'
import { appliedMigrations, tablesInDependencyOrder, type SequenceValue } from './tables.js'

/** Restore refused: the target is not empty, or the archive does not fit this version. Nothing was written. */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RestoreRefusedError'
  }
}

export interface RestoreSummary {
  rows: Record<string, number>
  blobs: number
  shredded: number
}

/** Rows per INSERT … SELECT FROM json_populate_recordset (and a cap on the text of one batch). */
const BATCH_ROWS = 500
const BATCH_CHARS = 4 * 1024 * 1024

/**
 * Restores `file` (opened with the 32-byte archive `key`) into `db` (a migrated database, a
 * Kysely without the camel-case plugin) and `store`. `masterKeys` are the keys this server
 * will read files with (MASTER_KEY first, then MASTER_KEY_PREVIOUS). Throws ArchiveError
 * (wrong key, altered, cut short, not an archive) or RestoreRefusedError (target not
 * empty, migrations differ, data keys not under these master keys) before writing anything;
 * other errors after a rollback and the removal of the blobs written.
 */
export async function restoreBackup(opts: { file: string; key: Buffer; db: Kysely<any>; store: BlobStore; masterKeys: readonly Buffer[]; checked?: Manifest }): Promise<RestoreSummary> {
  const { db, store } = opts
  const manifest = opts.checked ?? (await checkArchive(opts.file, opts.key, opts.masterKeys))
  await checkTarget(db, store, manifest)

  const written: string[] = []
  const rows: Record<string, number> = {}
  let shredded = 0
  try {
    await db.transaction().execute(async (trx) => {
      for await (const entry of readEntries(await openArchive(opts.file, opts.key))) {
        const [kind, name] = splitName(entry.name)
        if (kind === 'table') rows[name] = await insertRows(trx, name, readLines(entry.body))
        else if (kind === 'sequences.json') await setSequences(trx, JSON.parse((await readAll(entry.body)).toString('utf8')) as SequenceValue[])
        else if (kind === 'blob') {
          written.push(name)
          await store.put(name, Readable.from(entry.body))
        } else if (kind === 'shredded.json') {
          const list = JSON.parse((await readAll(entry.body)).toString('utf8')) as { id: string; deletedAt: string }[]
          for (const r of list) await sql`UPDATE records SET wrapped_key = NULL, deleted_at = ${r.deletedAt}::timestamptz WHERE id = ${r.id}::uuid`.execute(trx)
          shredded = list.length
        }
      }
    })
  } catch (err) {
    for (const key of written) await store.delete(key).catch(() => undefined)
    throw err
  }
  return { rows, blobs: written.length, shredded }
}

/**
 * Pass 1 alone: reads and authenticates the whole archive, checks its framing and that every
 * live record's data key opens under one of `masterKeys`; returns the manifest (pass it to
 * `restoreBackup` as `checked`). Writes nothing. Throws ArchiveError or RestoreRefusedError.
 */
export async function checkArchive(file: string, key: Buffer, masterKeys: readonly Buffer[]): Promise<Manifest> {
  let manifest: Manifest | undefined
  let unopenable = 0
  for await (const entry of readEntries(await openArchive(file, key))) {
    if (manifest === undefined) {
      if (entry.name !== 'manifest.json') throw new ArchiveError('The archive does not start with its manifest.')
      manifest = JSON.parse((await readAll(entry.body)).toString('utf8')) as Manifest
      if (manifest.format !== 1) throw new ArchiveError(`Unknown archive content format ${String(manifest.format)}.`)
      continue
    }
    const [kind, name] = splitName(entry.name)
    if (kind === 'table' && !manifest.tables.includes(name)) throw new ArchiveError(`The archive holds a table ${name} its manifest does not list.`)
    if (kind === 'table' && name === 'records') {
      for await (const line of readLines(entry.body)) {
        const row = JSON.parse(line) as { wrapped_key: string | null }
        if (row.wrapped_key === null) continue
        try {
          unwrapDataKeyWithAny(masterKeys, Buffer.from(row.wrapped_key.replace(/^\\x/, ''), 'hex'))
        } catch {
          unopenable += 1
        }
      }
    }
  }
  if (manifest === undefined) throw new ArchiveError('The archive is empty.')
  if (unopenable > 0) {
    throw new RestoreRefusedError(
      `${unopenable} record(s) in the archive have data keys this server's MASTER_KEY does not open: restore with the MASTER_KEY (and MASTER_KEY_PREVIOUS) of the locker that was backed up.`,
    )
  }
  return manifest
}

/** Refuses a target with any row in a table of ours, any blob, or another set of migrations. */
async function checkTarget(db: Kysely<any>, store: BlobStore, manifest: Manifest): Promise<void> {
  const migrations = await appliedMigrations(db)
  const archived = [...manifest.migrations].sort()
  if (migrations.join('\n') !== archived.join('\n')) {
    const missing = archived.filter((m) => !migrations.includes(m))
    throw new RestoreRefusedError(
      missing.length > 0
        ? `The archive comes from a newer CareLocker (migrations ${missing.join(', ')}); restore it with that version.`
        : `The archive comes from an older CareLocker (${archived.length} migrations, this one has ${migrations.length}); restore it with that version, then upgrade.`,
    )
  }
  const tables = await tablesInDependencyOrder(db)
  const unknown = manifest.tables.filter((t) => !tables.includes(t))
  if (unknown.length > 0) throw new RestoreRefusedError(`The archive has tables this database lacks: ${unknown.join(', ')}.`)
  const filled: string[] = []
  for (const table of tables) {
    const any = await sql`SELECT 1 FROM ${sql.table(table)} LIMIT 1`.execute(db)
    if (any.rows.length > 0) filled.push(table)
  }
  if (filled.length > 0) {
    throw new RestoreRefusedError(`The target database is not empty (rows in ${filled.slice(0, 5).join(', ')}${filled.length > 5 ? ', …' : ''}): restore into a new database (or a new DATA_DIR), before any server starts on it.`)
  }
  for await (const blob of store.list()) {
    throw new RestoreRefusedError(`The target storage is not empty (it holds ${blob.key}, …): restore into empty storage (a new DATA_DIR or bucket).`)
  }
}

/** `table/<name>` → ['table', name]; `blob/<key>` → ['blob', key]; others → [name, '']. */
function splitName(name: string): [string, string] {
  const slash = name.indexOf('/')
  return slash < 0 ? [name, ''] : [name.slice(0, slash), name.slice(slash + 1)]
}

/** Inserts JSON-line rows in batches; identity columns keep their archived values. Returns the row count. */
async function insertRows(trx: Kysely<any>, table: string, lines: AsyncIterable<string>): Promise<number> {
  let batch: string[] = []
  let chars = 0
  let count = 0
  const flush = async () => {
    if (batch.length === 0) return
    const json = `[${batch.join(',')}]`
    await sql`INSERT INTO ${sql.table(table)} OVERRIDING SYSTEM VALUE SELECT * FROM json_populate_recordset(NULL::${sql.table(table)}, ${json}::json)`.execute(trx)
    count += batch.length
    batch = []
    chars = 0
  }
  for await (const line of lines) {
    batch.push(line)
    chars += line.length
    if (batch.length >= BATCH_ROWS || chars >= BATCH_CHARS) await flush()
  }
  await flush()
  return count
}

async function setSequences(trx: Kysely<any>, sequences: SequenceValue[]): Promise<void> {
  for (const s of sequences) {
    if (s.lastValue === null) continue
    await sql`SELECT setval(format('%I', ${s.name}::text)::regclass, ${s.lastValue}::bigint, true)`.execute(trx)
  }
}
