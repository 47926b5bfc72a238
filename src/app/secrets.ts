/**
 * Fills unset secrets (SPEC §1): `MASTER_KEY` (32 random bytes), `JWT_SECRET` (48 random
 * bytes, base64url) and the Ed25519 key that signs prescription QR codes (SPEC §4.9, a
 * private JWK) are generated once into `$DATA_DIR/secrets.json`, mode 0600, and read back
 * on later starts. Variables set in the environment win. A file written by an older
 * version (without the signing key) gets the key added, its other secrets untouched.
 * Rotating the QR key without the environment: move `prescriptionSigningKey`'s public part
 * (`kty`, `crv`, `x`, `kid`) into `prescriptionRetiredKeys`, delete `prescriptionSigningKey`
 * and restart — a new key is generated and old QR codes keep verifying. The audit log's
 * tree-head key (SPEC §4.7) works the same way: `auditSigningKey`, `auditRetiredKeys`.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile, chmod } from 'node:fs/promises'
import path from 'node:path'
import { generateSigningKey, parseSigningKey, parseVerifyKeys, type Ed25519Jwk, type Ed25519PrivateJwk } from './signing-keys.js'
import type { Config, ResolvedConfig } from './config.js'

interface SecretsFile {
  masterKey?: string
  jwtSecret?: string
  /** Signs prescription QR codes (Ed25519 private JWK with `kid`). */
  prescriptionSigningKey?: Ed25519PrivateJwk
  /** Public JWKs of retired QR signing keys: their codes still verify. */
  prescriptionRetiredKeys?: Ed25519Jwk[]
  /** Signs the audit log's tree heads (Ed25519 private JWK with `kid`). */
  auditSigningKey?: Ed25519PrivateJwk
  /** Public JWKs of retired tree-head keys: still published in `/audit/keys`. */
  auditRetiredKeys?: Ed25519Jwk[]
}

/**
 * Returns the config with `masterKey`, `jwtSecret`, `prescriptionSigningKey` and `auditSigningKey` set, creating
 * the secrets file or adding what it lacks. Only secrets missing from the environment are
 * generated. Throws when the file holds a malformed signing key.
 */
export async function resolveSecrets(config: Config): Promise<ResolvedConfig> {
  if (config.masterKey && config.jwtSecret && config.prescriptionSigningKey && config.auditSigningKey) return config as ResolvedConfig
  const file = path.join(config.dataDir, 'secrets.json')
  let stored: SecretsFile | undefined
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as SecretsFile
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const next: SecretsFile = { ...stored }
  if (!config.masterKey && !next.masterKey) next.masterKey = randomBytes(32).toString('base64')
  if (!config.jwtSecret && !next.jwtSecret) next.jwtSecret = randomBytes(48).toString('base64url')
  if (!config.prescriptionSigningKey && !next.prescriptionSigningKey) next.prescriptionSigningKey = generateSigningKey()
  if (!config.auditSigningKey && !next.auditSigningKey) next.auditSigningKey = generateSigningKey()
  const changed = JSON.stringify(next) !== JSON.stringify(stored ?? {})
  if (changed) {
    const body = JSON.stringify(next, null, 2) + '\n'
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
    if (stored === undefined) {
      // 'wx': two processes starting on a fresh directory cannot both create it.
      await writeFile(file, body, { mode: 0o600, flag: 'wx' })
    } else {
      const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
      await writeFile(tmp, body, { mode: 0o600, flag: 'wx' })
      await rename(tmp, file)
    }
    await chmod(file, 0o600)
  }
  const fileKey = (key: Ed25519PrivateJwk | undefined) => (key ? parseSigningKey(JSON.stringify(key)) : undefined)
  const fileKeys = (keys: Ed25519Jwk[] | undefined) => (keys ? parseVerifyKeys(JSON.stringify(keys)) : [])
  return Object.freeze({
    ...config,
    masterKey: config.masterKey ?? Buffer.from(next.masterKey as string, 'base64'),
    jwtSecret: config.jwtSecret ?? (next.jwtSecret as string),
    prescriptionSigningKey: config.prescriptionSigningKey ?? (fileKey(next.prescriptionSigningKey) as Ed25519PrivateJwk),
    prescriptionVerifyKeys: [...config.prescriptionVerifyKeys, ...fileKeys(next.prescriptionRetiredKeys)],
    auditSigningKey: config.auditSigningKey ?? (fileKey(next.auditSigningKey) as Ed25519PrivateJwk),
    auditVerifyKeys: [...config.auditVerifyKeys, ...fileKeys(next.auditRetiredKeys)],
  })
}
