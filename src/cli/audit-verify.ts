/**
 * `npm run audit:verify` — recomputes the audit log's hash chain (SPEC §4.7) in the
 * configured database (same environment variables as the server: `DATABASE_URL` or the
 * embedded database in `$DATA_DIR`), like `GET /admin/audit/verify`.
 *
 * Prints `{ok, events, headHash, firstBadSeq?}` as one JSON line on stdout. Exits 0 when
 * the chain is intact, 1 when it is not (naming the first bad event on stderr) or when the
 * database cannot be opened. Stop the server first when it uses the embedded database:
 * PGlite allows one process at a time.
 */
import { composeDeps } from '../app/compose.js'
import { loadConfig } from '../app/config.js'
import { verifyAuditChain } from '../audit/audit.service.js'

async function main(): Promise<number> {
  const composed = await composeDeps(loadConfig(process.env), { workers: false })
  try {
    const result = await verifyAuditChain(composed.deps.db)
    console.log(JSON.stringify(result))
    if (!result.ok) {
      console.error(`Audit chain broken: the first bad event is seq ${result.firstBadSeq} (of ${result.events}).`)
      return 1
    }
    console.error(`Audit chain intact: ${result.events} events, head ${result.headHash}.`)
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
