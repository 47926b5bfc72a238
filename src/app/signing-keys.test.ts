import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.js'
import { resolveSecrets } from './secrets.js'
import { generateSigningKey } from './signing-keys.js'

const dirs: string[] = []
const tempDir = async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-keys-'))
  dirs.push(dir)
  return dir
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

describe('the QR signing key in $DATA_DIR/secrets.json (SPEC §1)', () => {
  it('is generated on first start (mode 0600) and read back on the next', async () => {
    const dir = await tempDir()
    const first = await resolveSecrets(loadConfig({ DATA_DIR: dir }))
    const file = path.join(dir, 'secrets.json')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const stored = JSON.parse(await readFile(file, 'utf8'))
    expect(stored.prescriptionSigningKey).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: first.prescriptionSigningKey.kid })
    const second = await resolveSecrets(loadConfig({ DATA_DIR: dir }))
    expect(second.prescriptionSigningKey).toEqual(first.prescriptionSigningKey)
    expect(second.masterKey.equals(first.masterKey)).toBe(true)
  })

  it('is added to a secrets file of an older version, whose other secrets stay as they were', async () => {
    const dir = await tempDir()
    const file = path.join(dir, 'secrets.json')
    const old = { masterKey: Buffer.alloc(32, 7).toString('base64'), jwtSecret: 'j'.repeat(64) }
    await writeFile(file, JSON.stringify(old), { mode: 0o600 })
    const resolved = await resolveSecrets(loadConfig({ DATA_DIR: dir }))
    expect(resolved.masterKey.equals(Buffer.alloc(32, 7))).toBe(true)
    expect(resolved.jwtSecret).toBe(old.jwtSecret)
    const stored = JSON.parse(await readFile(file, 'utf8'))
    expect(stored).toMatchObject(old)
    expect(stored.prescriptionSigningKey.kid).toBe(resolved.prescriptionSigningKey.kid)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('comes from PRESCRIPTION_SIGNING_KEY when set; production refuses to start without it; a bad key names the variable', async () => {
    const key = generateSigningKey()
    const dir = await tempDir()
    const auditKey = generateSigningKey()
    const resolved = await resolveSecrets(
      loadConfig({ DATA_DIR: dir, MASTER_KEY: Buffer.alloc(32).toString('base64'), JWT_SECRET: 'x'.repeat(40), PRESCRIPTION_SIGNING_KEY: JSON.stringify(key), AUDIT_SIGNING_KEY: JSON.stringify(auditKey) }),
    )
    expect(resolved.prescriptionSigningKey).toEqual(key)
    expect(resolved.auditSigningKey).toEqual(auditKey)
    // Everything came from the environment: no secrets file is written.
    await expect(stat(path.join(dir, 'secrets.json'))).rejects.toThrow()
    expect(() => loadConfig({ NODE_ENV: 'production', MASTER_KEY: Buffer.alloc(32).toString('base64'), JWT_SECRET: 'x'.repeat(40) })).toThrow(/PRESCRIPTION_SIGNING_KEY[\s\S]*AUDIT_SIGNING_KEY/)
    try {
      loadConfig({ PRESCRIPTION_SIGNING_KEY: '{"kty":"OKP","crv":"Ed25519","x":"abc"}', PRESCRIPTION_VERIFY_KEYS: 'nope' })
      expect.unreachable()
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toMatch(/PRESCRIPTION_SIGNING_KEY: .*\n.*PRESCRIPTION_VERIFY_KEYS/)
    }
    // The audit log's tree-head keys are checked the same way, each bad one named.
    try {
      loadConfig({ AUDIT_SIGNING_KEY: 'not json', AUDIT_VERIFY_KEYS: '[{"kty":"RSA"}]' })
      expect.unreachable()
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toMatch(/AUDIT_SIGNING_KEY: must be a JSON Web Key[\s\S]*AUDIT_VERIFY_KEYS: key 0: must be an Ed25519 key/)
    }
  })
})
