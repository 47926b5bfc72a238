/**
 * `npm run keys:rotate -- --new-key <base64> [--batch-size <n>] [--limit <n>]` — re-wraps
 * every file's data key under the new master key (SPEC §11; src/ops/key-rotation.ts).
 * Run it with the environment the servers now run with: `MASTER_KEY` = the new key (which
 * `--new-key` must repeat, as a check) and `MASTER_KEY_PREVIOUS` = the old one(s). Resumable:
 * run it again after a stop (or after `--limit` re-wraps) and it continues; files stay
 * readable throughout. On the embedded database with a server running on `DATA_DIR`, the
 * server does the work (through `$DATA_DIR/ops.sock`).
 * Prints the progress as JSON; exits 0 when done (or stopped by `--limit`), 1 otherwise.
 */
import { parseArgs } from 'node:util'
import { loadConfig } from '../app/config.js'
import { resolveSecrets } from '../app/secrets.js'
import { openDatabase } from '../db/connection.js'
import { rotateMasterKey, type RotationProgress } from '../ops/key-rotation.js'
import { connectOpsSocket, readLine, requestOps } from '../ops/ops-socket.js'
import { usesEmbeddedDirectory } from '../ops/target.js'
import { runCli } from './run-cli.js'

const USAGE = 'Usage: npm run keys:rotate -- --new-key <base64 of 32 bytes> [--batch-size <n>] [--limit <n>]'

const positive = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer.`)
  return n
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'new-key': { type: 'string' }, 'batch-size': { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean' } },
  })
  if (values.help || !values['new-key']) {
    console.error(USAGE)
    return values.help ? 0 : 1
  }
  const newKey = Buffer.from(values['new-key'], 'base64')
  if (newKey.length !== 32) {
    console.error('--new-key must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`).')
    return 1
  }
  const batchSize = positive('batch-size', values['batch-size'])
  const limit = positive('limit', values.limit)
  const config = await resolveSecrets(loadConfig(process.env))
  if (!newKey.equals(config.masterKey)) {
    console.error(
      'The new key must already be this locker\'s MASTER_KEY: first restart every server with MASTER_KEY=<new key> and MASTER_KEY_PREVIOUS=<old key> (they then write with the new key and read with either), then run keys:rotate with that same environment.',
    )
    return 1
  }
  let progress: RotationProgress
  const socket = usesEmbeddedDirectory(config) ? await connectOpsSocket(config.dataDir) : undefined
  if (socket) {
    try {
      await requestOps(socket, { op: 'rotate', newKey: newKey.toString('base64'), batchSize, limit })
      progress = JSON.parse(await readLine(socket)) as RotationProgress
    } finally {
      socket.destroy()
    }
  } else {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
    try {
      progress = await rotateMasterKey(database.db.withoutPlugins(), { newKey, oldKeys: config.previousMasterKeys, batchSize, limit })
    } finally {
      await database.close()
    }
  }
  console.log(JSON.stringify({ ...progress, unreadable: progress.unreadable.length }))
  if (progress.unreadable.length > 0) {
    console.error(`${progress.unreadable.length} record(s) or TOTP secret(s) open under none of MASTER_KEY and MASTER_KEY_PREVIOUS (first: ${progress.unreadable[0]}); set MASTER_KEY_PREVIOUS to the old key and run again.`)
    return 1
  }
  console.error(
    progress.finished
      ? `Every data key is wrapped by the new master key (${progress.rewrapped} re-wrapped now). You may now remove MASTER_KEY_PREVIOUS from every server.`
      : `Stopped after ${progress.rewrapped} re-wraps (--limit); run again to continue.`,
  )
  return 0
}

runCli('Key rotation', main)
