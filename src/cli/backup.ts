/**
 * `npm run backup -- --out <file>` — writes one encrypted archive of the database and the
 * blobs (SPEC §11; format in src/ops/archive.ts, content in src/ops/backup.ts), consistent
 * while the server runs, on either engine. Same environment variables as the server. The
 * archive key is `BACKUP_KEY`, or derived from the master key when unset.
 *
 * On the embedded database with a server running on `DATA_DIR`, the server reads the
 * snapshot (through `$DATA_DIR/ops.sock`) and this process encrypts and writes the file; with
 * no server, or on PostgreSQL, this process reads the database itself. The archive is
 * written to `<file>.partial` and renamed when complete, so `<file>` is never half an archive.
 * Exits 0 with a JSON summary on stdout, 1 with a message on stderr.
 */
import { createWriteStream } from 'node:fs'
import { access, rename, unlink } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import type { Writable } from 'node:stream'
import { loadConfig } from '../app/config.js'
import { resolveSecrets } from '../app/secrets.js'
import { archiveKey, createArchiveEncryptor, EntryWriter, readEntries } from '../ops/archive.js'
import { writeBackup } from '../ops/backup.js'
import { connectOpsSocket, requestOps } from '../ops/ops-socket.js'
import { openTarget, usesEmbeddedDirectory } from '../ops/target.js'
import { runCli } from './run-cli.js'

const USAGE = 'Usage: npm run backup -- --out <file>'

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, help: { type: 'boolean' } } })
  if (values.help || !values.out) {
    console.error(USAGE)
    return values.help ? 0 : 1
  }
  const out = values.out
  if (await access(out).then(() => true, () => false)) {
    console.error(`${out} already exists; choose another file name (a backup never overwrites one).`)
    return 1
  }
  const config = await resolveSecrets(loadConfig(process.env))
  const partial = `${out}.partial`
  const encryptor = createArchiveEncryptor(archiveKey(config), createWriteStream(partial, { flags: 'wx', mode: 0o600 }))
  try {
    const [summary] = await Promise.all([produce(config, encryptor.input), encryptor.done])
    await rename(partial, out)
    console.log(JSON.stringify({ out, ...summary }))
    console.error(`Backup written to ${out}.`)
    return 0
  } catch (err) {
    encryptor.input.destroy()
    await encryptor.done.catch(() => undefined)
    await unlink(partial).catch(() => undefined)
    throw err
  }
}

/** Writes the plaintext entries into `input` (and ends it): from the running server's socket, or from the database itself. */
async function produce(config: Awaited<ReturnType<typeof resolveSecrets>>, input: Writable): Promise<Record<string, unknown>> {
  const socket = usesEmbeddedDirectory(config) ? await connectOpsSocket(config.dataDir) : undefined
  if (socket) {
    try {
      await requestOps(socket, { op: 'backup' })
      // Re-framed entry by entry: an answer cut short (server stopped) fails here, not in the file.
      const writer = new EntryWriter(input)
      let entries = 0
      for await (const entry of readEntries(socket)) {
        await writer.entry(entry.name, entry.body)
        entries += 1
      }
      await writer.end()
      input.end()
      return { via: 'running server', entries }
    } finally {
      socket.destroy()
    }
  }
  const target = await openTarget(config)
  try {
    return { via: 'database', ...(await writeBackup({ db: target.database.db.withoutPlugins(), engine: target.database.engine, store: target.store, out: input, now: new Date() })) }
  } finally {
    await target.close()
  }
}

runCli('Backup', main)
