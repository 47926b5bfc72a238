/**
 * `npm run restore -- --in <file>` — fills an EMPTY database and storage from a backup
 * archive (SPEC §11; src/ops/restore.ts). Same environment variables as the server; the
 * archive key is `BACKUP_KEY` or derived from the master key, and the master key must be the
 * backed-up locker's (its files' data keys stay wrapped by it). The archive is read and
 * authenticated whole before anything is written; a wrong key, an altered or cut-short
 * archive, a non-empty target or a server running on this `DATA_DIR` are refused.
 * Exits 0 with a JSON summary on stdout, 1 with a message on stderr.
 */
import { parseArgs } from 'node:util'
import { loadConfig } from '../app/config.js'
import { resolveSecrets } from '../app/secrets.js'
import { archiveKey } from '../ops/archive.js'
import { connectOpsSocket } from '../ops/ops-socket.js'
import { checkArchive, restoreBackup } from '../ops/restore.js'
import { openTarget, usesEmbeddedDirectory } from '../ops/target.js'
import { runCli } from './run-cli.js'

const USAGE = 'Usage: npm run restore -- --in <file>'

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { in: { type: 'string' }, help: { type: 'boolean' } } })
  if (values.help || !values.in) {
    console.error(USAGE)
    return values.help ? 0 : 1
  }
  const config = await resolveSecrets(loadConfig(process.env))
  if (usesEmbeddedDirectory(config)) {
    const socket = await connectOpsSocket(config.dataDir)
    if (socket) {
      socket.destroy()
      console.error(`A CareLocker server is running on ${config.dataDir}: stop it, and restore into a new, empty DATA_DIR.`)
      return 1
    }
  }
  const key = archiveKey(config)
  const masterKeys = [config.masterKey, ...config.previousMasterKeys]
  const checked = await checkArchive(values.in, key, masterKeys)
  const target = await openTarget(config)
  try {
    const summary = await restoreBackup({ file: values.in, key, db: target.database.db.withoutPlugins(), store: target.store, masterKeys, checked })
    console.log(JSON.stringify({ in: values.in, ...summary }))
    console.error(`Restored ${summary.blobs} files and ${Object.values(summary.rows).reduce((a, b) => a + b, 0)} rows from ${values.in}.`)
    return 0
  } finally {
    await target.close()
  }
}

runCli('Restore', main)
