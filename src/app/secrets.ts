/**
 * Fills unset secrets (SPEC §1): `MASTER_KEY` (32 random bytes) and `JWT_SECRET`
 * (48 random bytes, base64url) are generated once into `$DATA_DIR/secrets.json`, mode
 * 0600, and read back on later starts. Variables set in the environment win.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises'
import path from 'node:path'
import type { Config, ResolvedConfig } from './config.js'

interface SecretsFile {
  masterKey: string
  jwtSecret: string
}

/** Returns the config with `masterKey` and `jwtSecret` set, creating the secrets file if needed. */
export async function resolveSecrets(config: Config): Promise<ResolvedConfig> {
  if (config.masterKey && config.jwtSecret) return config as ResolvedConfig
  const file = path.join(config.dataDir, 'secrets.json')
  let stored: SecretsFile | undefined
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as SecretsFile
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (!stored) {
    stored = { masterKey: randomBytes(32).toString('base64'), jwtSecret: randomBytes(48).toString('base64url') }
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
    await writeFile(file, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
    await chmod(file, 0o600)
  }
  return Object.freeze({
    ...config,
    masterKey: config.masterKey ?? Buffer.from(stored.masterKey, 'base64'),
    jwtSecret: config.jwtSecret ?? stored.jwtSecret,
  })
}
