/**
 * `npm run audit:verify` — recomputes every event, tree node and the signed root of the
 * audit log (SPEC §4.7) in the configured database (same environment variables as the
 * server: `DATABASE_URL` or the embedded database in `$DATA_DIR`), like
 * `GET /admin/audit/verify`. Events not sealed yet are sealed first (as a server would
 * within 2 s), so every committed event is checked.
 *
 * Prints `{ok, events, treeSize, rootHash, firstBadSeq?}` as one JSON line on stdout.
 * Exits 0 when the log is intact, 1 when it is not (naming the first bad event on stderr)
 * or when the database cannot be opened. Stop the server first when it uses the embedded database:
 * PGlite allows one process at a time.
 */
import { composeDeps } from '../app/compose.js'
import { loadConfig } from '../app/config.js'
import { verifyAuditTree } from '../audit/verify.js'

async function main(): Promise<number> {
  const composed = await composeDeps(loadConfig(process.env), { workers: false })
  try {
    await composed.deps.audit.sealNow()
    const result = await verifyAuditTree(composed.deps.db, composed.deps.audit.signer)
    console.log(JSON.stringify(result))
    if (!result.ok) {
      const where = result.firstBadSeq !== undefined ? `the first bad event is seq ${result.firstBadSeq}` : 'the signed tree head does not match the events'
      console.error(`Audit log broken: ${where} (${result.events} of ${result.treeSize} events checked).`)
      return 1
    }
    console.error(`Audit log intact: ${result.events} events, root ${result.rootHash}.`)
    return 0
  } finally {
    await composed.close()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  },
)
