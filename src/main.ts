/**
 * Entry point: loadConfig → open db → buildApp → listen. The only module with side
 * effects at import. Stops gracefully on SIGTERM/SIGINT: stop accepting, finish
 * in-flight requests, stop the job workers (running jobs finish), close the database.
 */
import { buildApp } from './app/build-app.js'
import { composeDeps } from './app/compose.js'
import { ConfigError, loadConfig } from './app/config.js'
import { ensureAdmin } from './features/accounts/accounts.service.js'

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
  const composed = await composeDeps(config)
  const { deps } = composed
  const app = await buildApp(deps)
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
      await composed.close()
    } finally {
      clearTimeout(timer)
    }
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))

  await app.listen({ port: config.port, host: config.host })
  app.log.info(
    { engine: deps.database.engine, url: config.publicUrl, docs: `${config.publicUrl}/docs` },
    'CareLocker is running',
  )
}

main().catch((err: unknown) => {
  console.error('CareLocker failed to start:', err)
  process.exit(1)
})
