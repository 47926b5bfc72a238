/**
 * Entry point: loadConfig → open db → buildApp → listen. The only module with side
 * effects at import. Stops gracefully on SIGTERM/SIGINT: stop accepting, finish
 * in-flight requests, stop the job workers (running jobs finish), close the database.
 *
 * At start it tells a newcomer what to do (SPEC §1, §6): with no active admin and no
 * `ADMIN_EMAIL`, the one-time setup link (`$PUBLIC_URL/setup#<token>`, a new one at every
 * start); and a warning when PUBLIC_URL only works on this machine. Nothing else personal
 * is printed: the URL and the token are the only secrets, and only in that message.
 */
import { buildApp } from './app/build-app.js'
import { composeDeps } from './app/compose.js'
import { exitOnConfigError, loadConfig } from './app/config.js'
import { ensureAdmin } from './features/accounts/accounts.service.js'
import { isLocalUrl } from './features/admin-settings/admin-settings.service.js'
import { prepareSetupLink } from './features/setup/setup.service.js'
import { startOpsSocket } from './ops/ops-socket.js'
import { openStore } from './ops/target.js'

/** The lines a newcomer reads after `npm start` (plain text among the JSON log lines). */
function startBanner(opts: { url: string; port: number; setupLink: string | undefined; local: boolean }): string {
  const lines = ['', `  CareLocker is running at ${opts.url}`]
  if (opts.setupLink) {
    lines.push(
      '',
      '  No administrator yet. Open this one-time link to create the first admin account:',
      '',
      `    ${opts.setupLink}`,
      '',
      '  It works once; a new link is printed at each start until an admin exists.',
      '  (Or set ADMIN_EMAIL and ADMIN_PASSWORD, or run: npm run admin -- create --email … --password …)',
    )
  }
  if (opts.local) {
    lines.push(
      '',
      `  Warning: PUBLIC_URL is ${opts.url}, which only works on this machine:`,
      '  links and QR codes will not open on another device; set PUBLIC_URL to an address they reach',
      `  (e.g. HOST=0.0.0.0 PUBLIC_URL=http://192.168.1.20:${opts.port}), or https:// behind a TLS proxy.`,
    )
  }
  return `${lines.join('\n')}\n\n`
}

async function main(): Promise<void> {
  const config = await exitOnConfigError(() => loadConfig(process.env))
  // Some settings are only checkable against a live system (an S3 bucket, its credentials).
  const composed = await exitOnConfigError(() => composeDeps(config))
  const { deps } = composed
  const app = await buildApp(deps)
  // Embedded database only: `npm run backup` / `keys:rotate` reach this process through it (SPEC §11).
  const ops = await startOpsSocket(deps, () => openStore(deps.config))
  if (config.admin && (await ensureAdmin(deps, config.admin.email, config.admin.password))) {
    app.log.info('created the admin account from ADMIN_EMAIL')
  }

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    app.log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => process.exit(1), 15_000).unref()
    try {
      await app.close()
      await ops?.close()
      await composed.close()
    } finally {
      clearTimeout(timer)
    }
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))

  // ADMIN_EMAIL set: that is how this installation gets its admin, no link.
  const setupLink = config.admin ? undefined : await prepareSetupLink(deps)

  await app.listen({ port: config.port, host: config.host })
  app.log.info(
    { engine: deps.database.engine, url: config.publicUrl, docs: `${config.publicUrl}/docs`, firstRunSetup: setupLink !== undefined },
    'CareLocker is running',
  )
  const local = isLocalUrl(config.publicUrl)
  if (local) app.log.warn({ publicUrl: config.publicUrl }, 'PUBLIC_URL points at this machine: links and QR codes will not open on another device; set PUBLIC_URL')
  process.stdout.write(startBanner({ url: config.publicUrl, port: config.port, setupLink, local }))
}

main().catch((err: unknown) => {
  console.error('CareLocker failed to start:', err)
  process.exit(1)
})
